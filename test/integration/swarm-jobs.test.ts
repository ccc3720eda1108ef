// Batch jobs and cron schedules on a real 3-node swarm (test/helpers/swarm.ts), as a user runs
// them: a compose app whose web service runs on the worker nodes and whose two-task job graph
// runs from the manager on the app's overlay (the first task waits for web to be healthy and
// fetches it by name), `jobs:run`, `runs:show`, `logs --run` with each task's output once; a
// per-second schedule ticking on the swarm; and the registry door refusing pushes and deletes
// from the cluster network while nodes pull through it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { ROOT, uniqueName, type TestServer } from '../helpers/server.js';
import { swarmUnavailable, type SwarmHarness } from '../helpers/swarm.js';
import { startSwarmSlipway } from '../helpers/swarm-slipway.js';

const run = promisify(execFile);
const skip = swarmUnavailable() ?? false;
// The swarm app's image (web.py answers "RELEASE HOSTNAME"), with a compose file of jobs.
const FIXTURE = path.join(ROOT, 'test/fixtures/apps/swarm-app');
const COMPOSE = readFileSync(path.join(ROOT, 'test/fixtures/compose/swarm-jobs.yaml'), 'utf8');
let h: SwarmHarness;
let s: TestServer;
let app: string;
let repo: Repo;
const t0 = Date.now();
const mark = (what: string) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(0)} s: ${what}`);

interface Attempt { attempt: number; container: string; exitCode: number | null; kept: boolean }
interface Task { name: string; state: string; error?: string; instances: { index: number; state: string; attempts: Attempt[] }[] }
interface Run { id: number; trigger: string; schedule: string | null; state: string; reason: string | null; tasks: Task[]; keptContainers: string[] }
interface LogRow { service: string; container: string; stream: string; line: string }

const json = async <T>(p: string, init?: RequestInit): Promise<T> => {
  const res = await s.api(p, init);
  const body = (await res.json()) as T & { error?: string };
  assert.ok(res.ok, `${p}: ${res.status} ${body.error ?? ''}`);
  return body;
};
const runLogs = (id: number) => json<LogRow[]>(`/api/apps/${app}/logs?run=${id}&n=1000`);

async function eventually(what: string, check: () => Promise<boolean>, seconds = 120): Promise<void> {
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) if (await check().catch(() => false)) return;
  assert.fail(`never happened within ${seconds} s: ${what}`);
}

/** Each task of the run wrote its one line, stored once, from its one container. */
function assertOutputOnce(id: number, rows: LogRow[]): void {
  const fetched = rows.filter((r) => r.service === 'fetch');
  const reported = rows.filter((r) => r.service === 'report');
  assert.equal(fetched.length, 1, `fetch wrote one line, stored once: ${JSON.stringify(rows)}`);
  assert.match(fetched[0]!.line, new RegExp(`^fetched v\\d+ \\S+ +in run ${id}$`), 'the job reached web by name over the overlay');
  assert.deepEqual(reported.map((r) => r.line), [`report of run ${id}`]);
  assert.deepEqual(rows.filter((r) => r.service !== 'fetch' && r.service !== 'report'), []);
}

before(async () => {
  if (skip) return;
  ({ h, s } = await startSwarmSlipway(3, { jobBackoffMs: 200, jobBackoffMaxMs: 1000 }));
  mark('swarm of 3 nodes, Slipway in swarm mode');
  app = uniqueName('swj');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(FIXTURE, { 'compose.yaml': COMPOSE });
  await repo.commit('v1');
});

after(async () => {
  if (skip) return;
  await s?.cli(['cron:suspend', app]).catch(() => undefined);
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop().catch(() => undefined);
  await h?.stop();
});

test('a job graph runs on the swarm: it waits for web to be healthy, reaches it over the overlay, and each task\'s output is in logs --run once', { skip }, async () => {
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /jobs fetch, report/);
  mark('deployed: web on the workers, jobs fetch → report');

  const started = await s.cli(['jobs:run', app, '--wait']);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const id = Number(/Started run (\d+)/.exec(started.stdout)?.[1]);
  assert.match(started.stdout, new RegExp(`Run ${id} succeeded`));
  mark(`run ${id} succeeded`);

  const shown = await s.cli(['runs:show', app, String(id)]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /Tasks: +fetch succeeded, report succeeded/);
  const r = await json<Run>(`/api/apps/${app}/runs/${id}`);
  for (const t of r.tasks) {
    assert.equal(t.instances.length, 1);
    const [a] = t.instances[0]!.attempts;
    assert.deepEqual([t.instances[0]!.attempts.length, a!.exitCode, a!.kept], [1, 0, false], `${t.name}: one attempt, exit 0, removed (remove-finished)`);
    assert.match(a!.container, new RegExp(`^slipway-${app}-${t.name}-run${id}-0-1$`));
  }
  // They ran on the manager's engine (where the agent shipped them), and are gone from it.
  assert.equal((await h.docker(0, ['ps', '-aq', '--filter', `label=slipway.run=${id}`])).trim(), '');

  assertOutputOnce(id, await runLogs(id));
  const cli = await s.cli(['logs', app, '--run', String(id)]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout.match(/fetched v\d+/g)?.length, 1, cli.stdout);
  assert.equal(cli.stdout.match(new RegExp(`report of run ${id}`, 'g'))?.length, 1, cli.stdout);
});

test('a per-second schedule ticks on the swarm: scheduled runs succeed, each task\'s output once', { skip }, async () => {
  // report is the file's last service: its labels end the file. (Forbid skips a tick while a run
  // goes, each recorded: the history keeps enough for the runs looked at below.)
  await repo.commit('every second', { 'compose.yaml': `${COMPOSE}      slipway.schedule: "* * * * * *"\n      slipway.schedule.history: "500"\n` });
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  let done: Run[] = [];
  await eventually('two scheduled runs succeeded', async () => {
    const runs = await json<Run[]>(`/api/apps/${app}/runs?schedule=report`);
    assert.deepEqual(runs.filter((x) => x.state === 'failed'), [], 'no scheduled run failed');
    done = runs.filter((x) => x.state === 'succeeded');
    return done.length >= 2;
  }, 180);
  const suspended = await s.cli(['cron:suspend', app]);
  assert.equal(suspended.code, 0, suspended.stderr);
  mark(`scheduled runs ${done.map((x) => x.id).join(', ')} succeeded; suspended`);
  for (const r of done) {
    assert.equal(r.trigger, 'schedule');
    assertOutputOnce(r.id, await runLogs(r.id));
  }
});

test('the registry door serves pulls to the cluster network and refuses pushes and deletes', { skip }, async () => {
  // From a node's own network namespace: the door as the machines of the cluster reach it.
  const curl = async (args: string[]) =>
    (await run('nsenter', [`--net=/var/run/netns/${h.nodes[1]!.name}`, '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', ...args])).stdout;
  const door = `http://${h.hostAddr}:5000`;
  const accept = 'Accept: application/vnd.docker.distribution.manifest.v2+json';
  const digest = (await json<{ digest: string }[]>(`/api/apps/${app}/releases`))[0]?.digest;
  assert.match(digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(await curl(['-I', '-H', accept, `${door}/v2/${app}/manifests/${digest}`]), '200', 'a pull by digest works');
  for (const [method, p] of [
    ['POST', `/v2/${app}/blobs/uploads/`],
    ['PUT', `/v2/${app}/manifests/latest`],
    ['DELETE', `/v2/${app}/manifests/${digest}`],
  ] as const)
    assert.equal(await curl(['-X', method, '--data', '', `${door}${p}`]), '405', `${method} ${p} is refused`);
  assert.equal(await curl(['-I', '-H', accept, `${door}/v2/${app}/manifests/${digest}`]), '200', 'the manifest is still there');
});

test("apps:destroy removes the app's job containers the remove policy kept on the manager", { skip }, async () => {
  // The release image, as the manager pulled it for the job runs (through the registry door).
  let image = '';
  for (const r of await json<{ digest: string }[]>(`/api/apps/${app}/releases`)) {
    const ref = `${h.hostAddr}:5000/${app}@${r.digest}`;
    if (await h.docker(0, ['image', 'inspect', ref]).then(() => true, () => false)) image = ref;
  }
  assert.ok(image, 'a release image is on the manager');
  // As a failed attempt the policy kept: a job container of the app on the manager's engine.
  const kept = (await h.docker(0, ['create', '--name', `slipway-${app}-report-run999-0-1`, '--label', `slipway.app=${app}`, '--label', 'slipway.kind=job', '--label', 'slipway.run=999', '--label', 'slipway.engine=swarm', image])).trim();
  const destroyed = await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' });
  assert.equal(destroyed.status, 200, await destroyed.text());
  assert.equal((await h.docker(0, ['ps', '-aq', '--filter', `id=${kept}`])).trim(), '');
});
