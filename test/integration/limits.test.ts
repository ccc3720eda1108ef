// Limits a hostile or unlucky client meets at the front door: a push or upload bigger than
// SLIPWAY_MAX_PUSH_MB is refused while it streams in, and a request that has not proved who
// sent it (a webhook, git before its token) must arrive within SLIPWAY_UNAUTHENTICATED_TIMEOUT —
// while an authenticated upload may take as long as it needs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
let app: string;
const DEADLINE_S = 1;
/** How long a test waits before calling a connection stuck: far beyond the deadline. */
const STUCK_MS = 30_000;

before(async () => {
  // No worker: these tests stop at the front door, nothing needs to build.
  s = await startTestServer({ maxPushMb: 1, unauthenticatedTimeoutSeconds: DEADLINE_S }, { runDeploys: false });
  app = uniqueName('lim');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});
after(async () => {
  await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

interface Trickled {
  /** Everything the server sent before it closed the connection. */
  answer: string;
  /** Bytes of the body the client had sent when the server closed. */
  sent: number;
  closed: boolean;
}

/**
 * Sends `head` then the body one byte every `everyMs`, as a slow (or hostile) client would,
 * until the server closes the connection or `totalBytes` are sent; `giveUpMs` bounds the wait.
 */
function trickle(head: string, totalBytes: number, everyMs: number, giveUpMs = STUCK_MS): Promise<Trickled> {
  const port = new URL(s.url).port;
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      sock.destroy();
      resolve({ answer, sent, closed });
    };
    const giveUp = setTimeout(() => done(false), giveUpMs);
    sock.on('data', (d) => (answer += d.toString()));
    sock.on('close', () => done(true));
    sock.on('error', () => undefined);
    sock.write(head);
    timer = setInterval(() => {
      if (sent >= totalBytes) return clearInterval(timer);
      sent++;
      sock.write('x');
    }, everyMs);
  });
}

test('a push bigger than SLIPWAY_MAX_PUSH_MB is refused by git while it streams in; a small one is accepted', async () => {
  const repo = await repoFrom(null, { 'README.md': 'small\n' });
  await repo.commit('small');
  const url = pushUrl(s.url, s.token, app);
  // Another branch: stored, never deployed, so the limit is the only thing tested.
  const ok = await repo.push(url, 'HEAD:refs/heads/side');
  assert.equal(ok.code, 0, ok.output);
  await repo.commit('big', { 'blob.bin': randomBytes(3 * 1024 * 1024).toString('base64') });
  const big = await repo.push(url, 'HEAD:refs/heads/side');
  assert.notEqual(big.code, 0, big.output);
  assert.match(big.output, /pack exceeds maximum allowed size/);
});

test('an upload bigger than SLIPWAY_MAX_PUSH_MB is refused with 413 and says which setting', async () => {
  const res = await s.api(`/api/apps/${app}/deploys?wait=0`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-tar' },
    body: randomBytes(2 * 1024 * 1024),
  });
  assert.equal(res.status, 413);
  assert.match(((await res.json()) as { error: string }).error, /upload is larger than 1 MiB \(SLIPWAY_MAX_PUSH_MB\)/);
});

test('a webhook body trickling in is answered 408 and its connection closed at the deadline', async () => {
  const head = `POST /webhooks/github/${app} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
  const r = await trickle(head, 100_000, 200);
  assert.ok(r.closed, `the connection is still open after ${STUCK_MS / 1000} s (deadline ${DEADLINE_S} s)`);
  assert.match(r.answer, /^HTTP\/1\.1 408 /);
  assert.match(r.answer, /request not received within 1s/);
  assert.ok(r.sent < 100_000);
});

test('headers trickling in are cut off at the deadline', async () => {
  const port = Number(new URL(s.url).port);
  const closed = await new Promise<boolean>((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.write(`POST /webhooks/github/${app} HTTP/1.1\r\nHost: x\r\n`);
    const timer = setInterval(() => sock.write('X-Slow: y\r\n'), 200);
    const giveUp = setTimeout(() => (clearInterval(timer), sock.destroy(), resolve(false)), STUCK_MS);
    sock.on('close', () => (clearInterval(timer), clearTimeout(giveUp), resolve(true)));
    sock.on('error', () => undefined);
  });
  assert.ok(closed, `headers were still being accepted after ${STUCK_MS / 1000} s (deadline ${DEADLINE_S} s)`);
});

test('git without a token is answered 401 and a trickled body does not keep the connection', async () => {
  const head = `POST /git/${app}.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-git-receive-pack-request\r\nContent-Length: 100000\r\n\r\n`;
  const r = await trickle(head, 100_000, 200);
  assert.ok(r.closed, `the connection is still open after ${STUCK_MS / 1000} s`);
  assert.match(r.answer, /^HTTP\/1\.1 401 /);
});

test('an authenticated upload may take longer than the deadline', async () => {
  // 3 s of trickling against a 1 s deadline; the token makes it wait as long as it needs.
  const body = 'not really a tar, but the route only stores it'.padEnd(30, '.');
  const head =
    `POST /api/apps/${app}/deploys?wait=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\n` +
    `Content-Type: application/x-tar\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const r = await trickle(head, body.length, 100);
  assert.equal(r.sent, body.length, r.answer);
  assert.match(r.answer, /^HTTP\/1\.1 202 /);
  assert.match(r.answer, /"deploymentId":\d+/);
});
