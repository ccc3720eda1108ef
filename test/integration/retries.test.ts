// Retries that work, and never go back in time. The registry goes away in the middle of a deploy
// (a relay in front of the real one drops every connection): a pushed upload is retried from the
// same upload once it is back (the upload is kept until the outcome is final, then removed); a
// webhook deploy that failed the same way does not re-run after a newer push went live.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, removeImage } from '../../src/docker/images.js';
import { faultyRegistry, type FaultyRegistry } from '../helpers/faulty-registry.js';
import { pushUrl, repoFrom, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';
import { deliverGithub, githubPush } from '../helpers/webhooks.js';

const STATIC_SITE = path.join(ROOT, 'test/fixtures/apps/static-site');
let s: TestServer;
let registry: FaultyRegistry;
const apps: string[] = [];
const dirs: string[] = [];

before(async () => {
  registry = await faultyRegistry();
  s = await startTestServer({ registry: registry.address });
});
after(async () => {
  registry.up();
  const docker = createDocker(s.config);
  for (const app of apps) {
    await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
    for (const id of await imagesLabelled(docker, 'slipway.app', app).catch(() => [])) await removeImage(docker, id, true).catch(() => undefined);
  }
  await s?.stop();
  await registry.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function createApp(prefix: string): Promise<string> {
  const app = uniqueName(prefix);
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  apps.push(app);
  return app;
}

/** Resolves once `text()` matches `re`, polling; fails after a generous limit. */
async function until(what: string, text: () => string, re: RegExp, limitMs = 300_000): Promise<void> {
  for (const end = Date.now() + limitMs; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (re.test(text())) return;
  assert.fail(`${what} never matched ${re}:\n${text()}`);
}

/** `git push` in the background, its output so far, and its end. */
function pushing(repo: Repo, app: string) {
  const child = spawn('git', ['push', pushUrl(s.url, s.token, app), 'main'], { cwd: repo.dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  return { output: () => output, code };
}

/** A deployment's live output, collected as it streams. */
function following(app: string, id: number) {
  let output = '';
  const done = s.api(`/api/apps/${app}/deploys/${id}/output`).then(async (res) => {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) output += Buffer.from(chunk).toString();
  });
  return { output: () => output, done };
}

const served = async (app: string) => (await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body;
interface Deploy { id: number; status: string; error: string | null; sha: string | null }
const deploys = async (app: string) => (await (await s.api(`/api/apps/${app}/deploys`)).json()) as Deploy[];

test('a push whose first attempt fails transiently is retried from its upload and deploys; the upload is removed after', async () => {
  const app = await createApp('retry');
  const repo = await repoFrom(STATIC_SITE);
  dirs.push(repo.dir);
  await repo.commit('first', { 'index.html': '<h1>retried-upload</h1>\n' });
  registry.down();
  const push = pushing(repo, app);
  await until('the push', push.output, /retrying/);
  registry.up();
  assert.equal(await push.code, 0, push.output());
  assert.match(push.output(), /-----> Deployed v\d+ at /);
  assert.match(await served(app), /retried-upload/);
  assert.deepEqual(readdirSync(path.join(s.dataDir, 'uploads')), [], 'the upload is gone once the deploy succeeded');
});

test('a webhook deploy that failed transiently does not re-run after a newer push went live', async () => {
  const app = await createApp('timetravel');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-retry-bare-'));
  dirs.push(dir);
  const bare = path.join(dir, 'bare.git');
  await promisify(execFile)('git', ['init', '--bare', '-q', '-b', 'main', bare]);
  const connect = await s.api(`/api/apps/${app}/connect`, { method: 'POST', body: JSON.stringify({ repo: `file://${bare}`, branch: 'main' }) });
  assert.equal(connect.status, 200, await connect.text());
  const { secret } = (await (await s.api(`/api/apps/${app}/webhooks`)).json()) as { secret: string };
  const repo = await repoFrom(STATIC_SITE);
  dirs.push(repo.dir);
  const sha1 = await repo.commit('old', { 'index.html': '<h1>old-by-webhook</h1>\n' });
  assert.equal((await repo.push(`file://${bare}`)).code, 0);

  // The webhook deploy of the old commit fails at the registry and waits for its retry…
  registry.down();
  const hook = await deliverGithub(`${s.url}/webhooks/github/${app}`, secret, githubPush(sha1, `file://${bare}`));
  assert.equal(hook.status, 202, JSON.stringify(hook.json));
  const old = following(app, hook.json.deploymentId!);
  await until('the webhook deploy', old.output, /Building/);
  // …while a newer push arrives, queued behind it, and goes live once the registry is back.
  await repo.commit('new', { 'index.html': '<h1>new-by-push</h1>\n' });
  const push = pushing(repo, app);
  await until('the webhook deploy', old.output, /retrying/);
  registry.up();
  assert.equal(await push.code, 0, push.output());
  assert.match(await served(app), /new-by-push/);

  await old.done;
  const d1 = (await deploys(app)).find((d) => d.id === hook.json.deploymentId)!;
  assert.equal(d1.status, 'superseded', JSON.stringify(d1));
  assert.match(old.output(), /Skipped: a newer deploy \(deployment \d+, [0-9a-f]{7}\) has already started; running this one now would put older code back/);
  assert.match(await served(app), /new-by-push/, 'the older commit was not put back');
});
