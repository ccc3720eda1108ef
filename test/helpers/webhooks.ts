// Webhook deliveries as GitHub and GitLab send them (the recorded payloads in
// test/fixtures/webhooks, pointed at a test's commit), and a fake of their commit-status API.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ROOT } from './server.js';

const HOOKS = path.join(ROOT, 'test/fixtures/webhooks');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const fixturePayload = (name: string): Buffer => readFileSync(path.join(HOOKS, name));

/** GitHub's recorded push (a tag deletion) turned into a push of `sha` to `branch`. */
export function githubPush(sha: string, repoUrl: string, branch = 'main'): Buffer {
  const doc = JSON.parse(fixturePayload('github/push-payload.json').toString('utf8')) as Record<string, unknown>;
  Object.assign(doc, {
    ref: `refs/heads/${branch}`,
    after: sha,
    created: false,
    deleted: false,
    head_commit: { id: sha, message: 'update the site', timestamp: new Date().toISOString() },
  });
  Object.assign(doc.repository as object, { clone_url: repoUrl, git_url: repoUrl, ssh_url: repoUrl, html_url: repoUrl });
  return Buffer.from(JSON.stringify(doc));
}

/** GitLab's recorded Push Hook, for `sha` on main. */
export function gitlabPush(sha: string, repoUrl: string): Buffer {
  const doc = JSON.parse(fixturePayload('gitlab/push-hook.json').toString('utf8')) as Record<string, unknown>;
  Object.assign(doc, { ref: 'refs/heads/main', after: sha, checkout_sha: sha });
  Object.assign(doc.project as object, { git_http_url: repoUrl, git_ssh_url: repoUrl });
  (doc.commits as { id: string }[])[0]!.id = sha;
  return Buffer.from(JSON.stringify(doc));
}

export interface Delivered {
  status: number;
  json: { deploymentId?: number; duplicate?: boolean; ignored?: string; error?: string; message?: string };
}

/** POSTs a delivery signed as GitHub signs it (HMAC-SHA256 of the exact bytes). */
export function deliverGithub(
  url: string,
  secret: string,
  body: Buffer,
  o: { id?: string; event?: string } = {},
): Promise<Delivered> {
  return deliver(url, body, {
    'x-github-event': o.event ?? 'push',
    'x-github-delivery': o.id ?? randomUUID(),
    'x-hub-signature-256': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex'),
  });
}

export async function deliver(url: string, body: Buffer, headers: Record<string, string>): Promise<Delivered> {
  const res = await fetch(url, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/test', ...headers } });
  return { status: res.status, json: (await res.json()) as Delivered['json'] };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeStatusApi {
  base: string;
  seen: SeenRequest[];
  /** Waits (up to a minute) until `ok(pick(seen))`, then returns `pick(seen)`. */
  until<T>(pick: (seen: SeenRequest[]) => T, ok: (v: T) => boolean): Promise<T>;
  close(): Promise<void>;
}

/** Stands in for api.github.com / GitLab's API, which tests cannot reach: records every request, answers `status`. */
export async function fakeStatusApi(status = 201): Promise<FakeStatusApi> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: JSON.parse(text || '{}') as Record<string, unknown> });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"message":"fake"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async until(pick, ok) {
      let v = pick(seen);
      for (const end = Date.now() + 60_000; !ok(v) && Date.now() < end; await sleep(200)) v = pick(seen);
      return v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
