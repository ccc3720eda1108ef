// Slipway killed with SIGKILL between two ticks and during a scheduled run, then started again
// on the same data dir: each scheduled time ran at most once (ticks passed while it was down are
// recorded missed, at most one runs late — never a burst), the interrupted run is marked so and
// its containers are stopped and kept as its remove policy says.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createDocker } from '../../src/docker/client.js';
import { Containers } from '../../src/docker/containers.js';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { scheduledCompose } from '../helpers/jobs.js';
import { ROOT, uniqueName } from '../helpers/server.js';
import { serverProcess, type ServerProcess } from '../helpers/server-process.js';

let sp: ServerProcess;
let app: string;
const containers = new Containers(createDocker({ dockerSocket: '/var/run/docker.sock' }));

interface Attempt { container: string; exitCode: number | null; kept: boolean }
interface Run { id: number; state: string; reason: string | null; scheduledAt: string; createdAt: string; startedAt: string | null; tasks: { state: string; instances: { attempts: Attempt[] }[] }[]; keptContainers: string[] }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runs = async () => ((await (await sp.api(`/api/apps/${app}/runs?limit=200`)).json()) as Run[]).reverse();
const run = async (id: number) => (await (await sp.api(`/api/apps/${app}/runs/${id}`)).json()) as Run;
async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

before(async () => {
  sp = await serverProcess();
  await sp.start();
  app = uniqueName('cronkill');
  assert.equal((await sp.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  // Every 8 s; the task runs 10 minutes (SLEEP) until the test makes it short.
  await sp.api(`/api/apps/${app}/config`, { method: 'POST', body: JSON.stringify({ set: { SLEEP: '600' } }) });
  const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/batch-app'), {
    'compose.yaml': scheduledCompose('*/8 * * * * *', 5, { 'slipway.schedule.deadline': '3s' }),
  });
  await repo.commit('cron');
  const pushed = await repo.push(pushUrl(sp.url, sp.token, app));
  assert.equal(pushed.code, 0, pushed.output);
});
after(async () => {
  await sp.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await sp?.cleanup();
});

test('SIGKILL during a run and between ticks: every scheduled time ran at most once; the interrupted run is marked and its containers handled', async () => {
  // 1. Killed while a run's container is going.
  const going = await until('a running run with its container started', async () => {
    for (const r of (await runs()).filter((r) => r.state === 'running')) {
      const full = await run(r.id);
      if (full.tasks[0]?.instances[0]?.attempts[0]?.container) return full;
    }
    return undefined;
  });
  await sp.kill('SIGKILL');
  const killedAt = Date.now();
  await sleep(2000);
  await sp.start();
  const interrupted = await run(going.id);
  assert.equal(interrupted.state, 'interrupted');
  assert.match(interrupted.reason!, /Slipway stopped during this run; its running containers were stopped/);
  assert.equal(interrupted.tasks[0]!.state, 'interrupted');
  // remove-finished: the stopped container counts as failed, so it is kept (exited) and listed.
  const attempt = interrupted.tasks[0]!.instances[0]!.attempts[0]!;
  assert.notEqual(attempt.exitCode, 0, JSON.stringify({ interrupted, killedAt: new Date(killedAt) }));
  assert.deepEqual(interrupted.keptContainers, [attempt.container]);
  const mine = (await containers.listContainers({ app, all: true })).filter((c) => c.name === attempt.container);
  assert.deepEqual(mine.map((c) => c.state), ['exited']);

  // 2. Killed between ticks: right after a (now short) run ended, before the next tick.
  const short = await sp.api(`/api/apps/${app}/config`, { method: 'POST', body: JSON.stringify({ set: { SLEEP: '1' } }) });
  assert.equal(short.status, 200);
  await short.text();
  // A run started before the change still sleeps 10 minutes: cancel it.
  for (const r of (await runs()).filter((r) => r.state === 'running')) await (await sp.api(`/api/apps/${app}/runs/${r.id}/cancel`, { method: 'POST' })).text();
  const restartedAt = Date.now();
  await until('a run after the restart to finish, with none going', async () => {
    const all = await runs();
    const ended = all.some((r) => r.state === 'succeeded' && Date.parse(r.startedAt!) > restartedAt);
    return ended && !all.some((r) => r.state === 'running');
  });
  await sp.kill('SIGKILL');
  const secondKill = Date.now();
  await sleep(18_000);
  await sp.start();
  const back = Date.now();
  await sleep(9000);
  assert.equal((await sp.api(`/api/apps/${app}/cron/suspend`, { method: 'POST', body: '{}' })).status, 200);
  await until('the last run to end', async () => !(await runs()).some((r) => r.state === 'running'));

  const all = await runs();
  const times = all.map((r) => r.scheduledAt);
  assert.equal(new Set(times).size, times.length, 'one row per scheduled time');
  // Ticks while it was down are recorded missed (or, the newest within the deadline, ran once).
  const down = (from: number, to: number) => all.filter((r) => Date.parse(r.scheduledAt) > from && Date.parse(r.scheduledAt) < to);
  // The scheduler decides before the HTTP server answers: its first decision after the restart
  // is when it came back. Ticks before it were missed, but for the newest, run late within the deadline.
  const cameBack = Math.min(...all.filter((r) => Date.parse(r.createdAt) > secondKill).map((r) => Date.parse(r.createdAt)));
  const duringSecond = down(secondKill, cameBack);
  assert.ok(duringSecond.some((r) => r.state === 'missed'), JSON.stringify(duringSecond));
  for (const r of duringSecond.filter((r) => r.state !== 'missed')) assert.ok(Date.parse(r.createdAt) - Date.parse(r.scheduledAt) <= 3000 + 1000, JSON.stringify(r));
  // Never a burst: after each restart at most one run started within its first second.
  for (const t of [killedAt + 2000, cameBack]) {
    const burst = all.filter((r) => r.startedAt && r.state !== 'missed' && r.state !== 'skipped' && Math.abs(Date.parse(r.startedAt) - t) < 1500);
    assert.ok(burst.length <= 1, JSON.stringify(burst));
  }
  // And the schedule kept going after both restarts.
  assert.ok(all.some((r) => r.state === 'succeeded' && Date.parse(r.startedAt!) > back), JSON.stringify(all.slice(-4)));
  // No container of the app is left running; every kept one belongs to a non-succeeded run.
  const left = await containers.listContainers({ app, all: true });
  assert.ok(left.every((c) => c.state !== 'running'), JSON.stringify(left));
});
