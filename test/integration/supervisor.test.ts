// Nothing restarts a dead server unless something supervises it. `slipway supervise` (what
// `npm run up` starts where there is no systemd) runs the server as its child: SIGKILL the server
// in the middle of a build and the API answers again, start-up reconciliation having marked the
// deploy interrupted (and its output ended); stopping the supervisor (`npm run down`) stops the
// server with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, removeImage } from '../../src/docker/images.js';
import { pushUrl, repoFrom, type Repo } from '../helpers/git.js';
import { uniqueName } from '../helpers/server.js';
import { serverProcess, type ServerProcess } from '../helpers/server-process.js';

let sp: ServerProcess;
let app: string;
let repo: Repo;

before(async () => {
  sp = await serverProcess({}, { supervised: true });
  await sp.start();
  app = uniqueName('superv');
  assert.equal((await sp.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  // A build that takes a while, so the server surely dies in the middle of it.
  repo = await repoFrom(null, { Dockerfile: 'FROM debian:bookworm-slim\nRUN sleep 40\nCMD ["sleep", "infinity"]\n' });
  await repo.commit('slow build');
});
after(async () => {
  await sp.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await sp?.cleanup();
  const docker = createDocker({ dockerSocket: '/var/run/docker.sock' });
  for (const id of await imagesLabelled(docker, 'slipway.app', app).catch(() => [])) await removeImage(docker, id, true).catch(() => undefined);
});

/** Starts `git push` and resolves once its output matches `marker`. */
function pushUntil(marker: RegExp): Promise<void> {
  const child = spawn('git', ['push', pushUrl(sp.url, sp.token, app), 'main'], { cwd: repo.dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  let output = '';
  return new Promise((resolve, reject) => {
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      if (marker.test(output)) resolve();
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('close', () => reject(new Error(`push ended before ${marker}:\n${output}`)));
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 120_000): Promise<T> {
  for (const end = Date.now() + limitMs; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
  }
  throw new Error(`${what} did not happen within ${limitMs / 1000} s`);
}

test('SIGKILL of the server mid-build: the supervisor starts it again, reconcile marks the deploy interrupted', async () => {
  await pushUntil(/Step 2\/\d+ : RUN sleep 40/);
  const first = sp.serverPid();
  process.kill(first, 'SIGKILL');

  const second = await until('a new server process', async () => {
    const pid = sp.serverPid();
    return pid !== first && (await fetch(`${sp.url}/healthz`)).ok ? pid : undefined;
  });
  assert.notEqual(second, first);
  assert.ok(sp.running(), 'the supervisor itself kept running');
  const [d] = (await (await sp.api(`/api/apps/${app}/deploys`)).json()) as { id: number; status: string; error: string | null }[];
  assert.equal(d?.status, 'interrupted', JSON.stringify(d));
  assert.match(d?.error ?? '', /Slipway stopped during this deploy/);
  // Its output ends (a follower would otherwise wait forever) with the outcome.
  const output = await (await sp.api(`/api/apps/${app}/deploys/${d!.id}/output`, { signal: AbortSignal.timeout(30_000) })).text();
  assert.match(output.trimEnd().split('\n').at(-1)!, /^\u001fslipway-status \{"status":"interrupted"/);
});

test('stopping the supervisor stops the server too', async () => {
  const server = sp.serverPid();
  await sp.kill('SIGTERM');
  const alive = () => {
    try {
      process.kill(server, 0);
      return true;
    } catch {
      return false;
    }
  };
  await until('the server to stop', async () => (alive() ? undefined : true), 60_000);
});
