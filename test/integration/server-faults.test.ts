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

test('a client that goes away in the middle of an upload leaves the server serving', async () => {
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
  await assertStillServing();
});
