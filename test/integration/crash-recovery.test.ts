// Slipway killed with SIGKILL in the middle of a deploy — while building, while the new color
// waits for its health check, while the old color drains after the switch — and started again:
// traffic never stops (HAProxy and the containers don't need Slipway), the release that should
// serve serves, half-started containers are gone, the deploy is marked interrupted, and the
// next push works.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { getViaProxy, trafficDuring, type TrafficReport } from '../helpers/http.js';
import { ROOT, uniqueName } from '../helpers/server.js';
import { serverProcess, type ServerProcess } from '../helpers/server-process.js';

let sp: ServerProcess;
let app: string;
let repo: Repo;
const host = () => `${app}.localhost`;

interface PsRow { service: string; color: string | null; release: string; state: string }
interface DeployRow { id: number; status: string; error: string | null }
interface ReleaseRow { version: number; status: string }

const ps = async () => (await (await sp.api(`/api/apps/${app}/ps`)).json()) as PsRow[];
const deploys = async () => (await (await sp.api(`/api/apps/${app}/deploys`)).json()) as DeployRow[];
const releases = async () => (await (await sp.api(`/api/apps/${app}/releases`)).json()) as ReleaseRow[];
const served = async () => (await getViaProxy(sp.httpPort, host())).body;

/** `git push` that resolves once its output matches `marker` (the point to kill Slipway at). */
function pushUntil(marker: RegExp): { reached: Promise<string>; finished: Promise<number> } {
  const child = spawn('git', ['push', pushUrl(sp.url, sp.token, app), 'main'], { cwd: repo.dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  let output = '';
  let onReach!: (s: string) => void;
  let onMiss!: (e: Error) => void;
  const reached = new Promise<string>((resolve, reject) => ((onReach = resolve), (onMiss = reject)));
  const watch = (chunk: Buffer) => {
    output += chunk.toString();
    if (marker.test(output)) onReach(output);
  };
  child.stdout.on('data', watch);
  child.stderr.on('data', watch);
  const finished = new Promise<number>((resolve) =>
    child.on('close', (code) => {
      onMiss(new Error(`push ended before ${marker}:\n${output}`));
      resolve(code ?? 1);
    }),
  );
  return { reached, finished };
}

/** Kills Slipway when the push reaches `marker`, starts it again; returns the traffic seen meanwhile. */
async function killAt(marker: RegExp): Promise<TrafficReport> {
  const { traffic } = await trafficDuring(sp.httpPort, host(), async () => {
    const push = pushUntil(marker);
    await push.reached;
    await sp.kill('SIGKILL');
    assert.notEqual(await push.finished, 0, 'the push of a killed deploy fails');
    await sp.start();
  });
  return traffic;
}

async function assertCleanAfterRestart(servingVersion: string, body: RegExp): Promise<void> {
  const [last] = await deploys();
  assert.equal(last!.status, 'interrupted');
  assert.match(last!.error ?? '', /Slipway stopped during this deploy/);
  assert.match(await served(), body);
  const rows = await ps();
  assert.deepEqual([...new Set(rows.map((r) => r.release))], [servingVersion], JSON.stringify(rows));
  assert.ok(rows.every((r) => r.state === 'running'), JSON.stringify(rows));
}

before(async () => {
  // A long drain limit: a slow request keeps the old color draining (see the third test).
  sp = await serverProcess({ SLIPWAY_DRAIN_SECONDS: '60' });
  await sp.start();
  app = uniqueName('crash');
  assert.equal((await sp.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/compose-app'));
  await repo.commit('v1');
  const first = await repo.push(pushUrl(sp.url, sp.token, app));
  assert.equal(first.code, 0, first.output);
  assert.match(await served(), /^web one /);
});
after(async () => {
  await sp.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await sp?.cleanup();
});

test('killed during the build: v1 keeps serving throughout, the deploy is interrupted', async () => {
  await repo.commit('two', { VERSION: 'two\n' });
  const traffic = await killAt(/Step 1\/\d+/);
  assert.deepEqual(traffic.failures, []);
  assert.ok(traffic.total > 0);
  await assertCleanAfterRestart('v1', /^web one /);
});

test('killed while the new color waits for health: its containers are removed, v1 serves', async () => {
  // The new web listens only after 20 s, so Slipway is surely killed while it waits.
  await repo.commit('three', { VERSION: 'three\n', START_DELAY: '20\n' });
  const traffic = await killAt(/starting web green/);
  assert.deepEqual(traffic.failures, []);
  await assertCleanAfterRestart('v1', /^web one /);
  const interrupted = (await releases()).find((r) => r.version !== 1);
  assert.equal(interrupted?.status, 'interrupted');
});

test('killed while the old color drains after the switch: the new release serves, the old is gone', async () => {
  await repo.commit('four', { VERSION: 'four\n', START_DELAY: '0\n' });
  // A long request on v1 keeps it draining (up to SLIPWAY_DRAIN_SECONDS) after the switch.
  const slow = getViaProxy(sp.httpPort, host(), '/slow?ms=25000', false, 50_000).catch((e: Error) => e);
  const traffic = await killAt(/draining v1/);
  await slow; // cut or finished: either way it must not be left hanging
  assert.deepEqual(traffic.failures, []);
  const [active] = (await releases()).filter((r) => r.status === 'active');
  assert.ok(active, 'a release is active');
  await assertCleanAfterRestart(`v${active.version}`, /^web four /);
  assert.notEqual(active.version, 1);
});

test('after three crashes the next push deploys normally', async () => {
  await repo.commit('five', { VERSION: 'five\n' });
  const pushed = await repo.push(pushUrl(sp.url, sp.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(await served(), /^web five /);
  const [last] = await deploys();
  assert.equal(last!.status, 'succeeded');
});
