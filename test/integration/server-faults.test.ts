// Requests a hostile or unlucky client sends must never take the server down: a POST larger
// than a pipe buffer to git's info/refs, a push whose backend exits before reading the pack, a
// client that goes away mid-upload. Slipway runs as its own process here, so a crash shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from '../helpers/server.js';
import { serverProcess, type ServerProcess } from '../helpers/server-process.js';

let sp: ServerProcess;
let app: string;
let basic: string;

before(async () => {
  sp = await serverProcess();
  await sp.start();
  app = uniqueName('faults');
  assert.equal((await sp.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  basic = 'Basic ' + Buffer.from(`slipway:${sp.token}`).toString('base64');
});
after(async () => {
  await sp.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await sp?.cleanup();
});

const MIB = Buffer.alloc(1024 * 1024, 'a');

/** The request's answer status, or the network error's message: either is fine, a crash is not. */
const answer = (p: string, init: RequestInit) =>
  fetch(`${sp.url}${p}`, init).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    (e: Error) => ({ status: 0, body: String(e.cause ?? e) }),
  );

async function assertStillServing(): Promise<void> {
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(sp.running(), 'the server process is still the one that was started (it did not crash)');
  const health = await fetch(`${sp.url}/healthz`);
  assert.equal(health.status, 200);
  const apps = await sp.api('/api/apps');
  assert.equal(apps.status, 200);
}

test('a 1 MiB POST to /git/APP.git/info/refs is refused and the server keeps serving', async () => {
  const r = await answer(`/git/${app}.git/info/refs?service=git-receive-pack`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'text/plain' },
    body: MIB,
  });
  assert.ok(r.status === 0 || r.status >= 400, JSON.stringify(r));
  await assertStillServing();
});

test('a push whose backend exits before reading the pack fails for the client only', async () => {
  // git answers what it makes of the garbage (an empty 200 here); what matters is that only this push fails.
  await answer(`/git/${app}.git/git-receive-pack`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-git-receive-pack-request' },
    body: Buffer.concat([MIB, MIB, MIB, MIB]),
  });
  await assertStillServing();
});

/** Starts an endless upload and goes away half a second in. */
async function abandonedUpload(): Promise<void> {
  const ac = new AbortController();
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      c.enqueue(MIB);
      await new Promise((r) => setTimeout(r, 50));
    },
  });
  const req = fetch(`${sp.url}/api/apps/${app}/deploys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sp.token}`, 'content-type': 'application/x-tar' },
    body,
    duplex: 'half',
    signal: ac.signal,
  } as RequestInit).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  ac.abort();
  await req;
}

test('a client that goes away in the middle of an upload leaves the server serving', async () => {
  await abandonedUpload();
  await assertStillServing();
});

interface DeployRow { id: number; status: string; error: string | null }

/** GET …/deploys/ID/output to its end; fails (instead of hanging) if it never ends. */
async function wholeOutput(id: number): Promise<string> {
  const res = await sp.api(`/api/apps/${app}/deploys/${id}/output`, { signal: AbortSignal.timeout(30_000) });
  assert.equal(res.status, 200);
  return res.text();
}

test('a failed upload ends its deployment\'s output with a failed status line', async () => {
  const before = ((await (await sp.api(`/api/apps/${app}/deploys`)).json()) as DeployRow[]).map((d) => d.id);
  // An empty upload, then one whose client goes away mid-way.
  const empty = await sp.api(`/api/apps/${app}/deploys`, { method: 'POST', headers: { 'content-type': 'application/x-tar' }, body: '' });
  assert.equal(empty.status, 400);
  await abandonedUpload();
  let failed: DeployRow[] = [];
  for (let i = 0; i < 100 && failed.length < 2; i++, await new Promise((r) => setTimeout(r, 100)))
    failed = ((await (await sp.api(`/api/apps/${app}/deploys`)).json()) as DeployRow[]).filter((d) => !before.includes(d.id) && d.status === 'failed');
  assert.equal(failed.length, 2, JSON.stringify(failed));
  for (const d of failed) {
    const lines = (await wholeOutput(d.id)).trimEnd().split('\n');
    const status = JSON.parse(lines.at(-1)!.replace(/^\u001fslipway-status /, '')) as { status: string; error: string };
    assert.equal(status.status, 'failed');
    assert.equal(status.error, d.error);
  }
});

test("a Redis that refuses Slipway's password stops the start with what to fix, not a push that waits forever", async () => {
  const wrong = await serverProcess({ SLIPWAY_REDIS_URL: 'redis://:not-the-password@127.0.0.1:6379' });
  try {
    await assert.rejects(wrong.start(), (e: Error) => {
      assert.match(e.message, /slipway server exited \(1\)/);
      assert.match(e.message, /Redis at 127\.0\.0\.1:6379 refused Slipway: WRONGPASS.*Its password is not the one Slipway has: put it in SLIPWAY_REDIS_PASSWORD_FILE/s);
      return true;
    });
  } finally {
    await wrong.cleanup();
  }
});
