// A full disk under Slipway's data dir (a small tmpfs mounted as DATA, root only): the deploy
// that meets it fails with a message that says so, and the server keeps serving — its API, the
// next deploy once there is room again. Mounted and removed by the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-full-'));
const dataDir = path.join(root, 'data');
const filler = path.join(dataDir, 'filler');
let mounted = false;
let s: TestServer | undefined;
let app: string;

before(async () => {
  mkdirSync(dataDir);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0700', 'tmpfs', dataDir]);
  mounted = true;
  s = await startTestServer({ dataDir });
  app = uniqueName('full');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});
after(async () => {
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  rmSync(filler, { force: true });
  await s?.stop().catch(() => undefined);
  if (mounted) await run('umount', ['-l', dataDir]);
  rmSync(root, { recursive: true, force: true });
});

/** Fills the data disk but for `leave` bytes. */
function fill(leave: number): void {
  const st = statfsSync(dataDir);
  writeFileSync(filler, Buffer.alloc(Math.max(0, st.bavail * st.bsize - leave)));
}

// The build writes ~3 MB of output (build log, deploy output, log store) into ~1 MB of room.
// (A token of its own per run: a cached step would print nothing.)
const LOUD = `FROM debian:bookworm-slim\nRUN echo ${randomBytes(6).toString('hex')} && seq 1 100000 | sed "s/^/build output line /"\nCMD ["sleep", "infinity"]\n`;
const SERVE = `FROM node:18-slim\nCOPY server.js .\nENV PORT=5000\nEXPOSE 5000\nCMD ["node", "server.js"]\n`;
const SERVER_JS = `require('http').createServer((q, r) => r.end('served after the disk had room\\n')).listen(process.env.PORT);\n`;

// A deadline of its own: before the fix the push never ended (its output stream waited forever).
test('a deploy that fills the disk fails saying so; the server keeps serving and deploys once there is room', { timeout: 600_000 }, async () => {
  const repo = await repoFrom(null, { Dockerfile: LOUD });
  await repo.commit('loud build');
  fill(1024 * 1024);
  const pushed = await repo.push(pushUrl(s!.url, s!.token, app));
  assert.notEqual(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /the disk is full \((ENOSPC|.*no space left on device|.*database or disk is full)/i);
  assert.match(pushed.output, /Free space on the disk|Free space\b/);

  // Still up: health, the API, the failed deploy's record.
  assert.equal((await fetch(`${s!.url}/healthz`)).status, 200);
  const deploys = (await (await s!.api(`/api/apps/${app}/deploys`)).json()) as { status: string }[];
  assert.ok(deploys.length >= 1, JSON.stringify(deploys));

  rmSync(filler);
  await repo.commit('a small app', { Dockerfile: SERVE, 'server.js': SERVER_JS });
  const again = await repo.push(pushUrl(s!.url, s!.token, app));
  assert.equal(again.code, 0, again.output);
  assert.equal((await getViaProxy(s!.config.httpPort, `${app}.${s!.config.appsDomain}`)).body, 'served after the disk had room\n');
});
