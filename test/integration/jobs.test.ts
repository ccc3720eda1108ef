// Batch jobs on the real engine, as a user runs them: a push records the release and starts
// nothing; `slipway jobs:run` runs the graph (a task failing twice then succeeding, 4 parallel
// instances, its result webhook signed), a task that exhausts its retries fails the run and
// skips what follows, containers are kept or removed as the policy says, output is in the log
// store per task and run, and an Aliyun-labelled compose file deploys and runs unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDocker } from '../../src/docker/client.js';
import { Containers } from '../../src/docker/containers.js';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/apps/batch-app');
let s: TestServer;
const apps: string[] = [];
const containers = new Containers(createDocker({ dockerSocket: '/var/run/docker.sock' }));
const hooks: { body: string; signature: string }[] = [];
let hookServer: http.Server;

interface Attempt { attempt: number; container: string; exitCode: number | null; startedAt: string; finishedAt: string | null; kept: boolean }
interface Task { name: string; state: string; error?: string; instances: { index: number; state: string; attempts: Attempt[] }[] }
interface Run { id: number; trigger: string; release: string; state: string; reason: string | null; imageDigest: string; tasks: Task[]; keptContainers: string[]; notified: { status: number }[] }

before(async () => {
  s = await startTestServer({ jobBackoffMs: 200, jobBackoffMaxMs: 1000 });
  hookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push({ body, signature: String(req.headers['x-slipway-signature-256'] ?? '') });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
});
after(async () => {
  for (const a of apps) await s.api(`/api/apps/${a}?confirm=${a}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
  hookServer?.close();
});

const json = async <T>(p: string, init?: RequestInit): Promise<T> => {
  const res = await s.api(p, init);
  const body = (await res.json()) as T & { error?: string };
  assert.ok(res.ok, `${p}: ${res.status} ${body.error ?? ''}`);
  return body;
};

async function deployApp(prefix: string, files: Record<string, string> = {}, config: Record<string, string> = {}): Promise<{ app: string; output: string }> {
  const app = uniqueName(prefix);
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  apps.push(app);
  if (Object.keys(config).length) await json(`/api/apps/${app}/config`, { method: 'POST', body: JSON.stringify({ set: config }) });
  const repo = await repoFrom(FIXTURE, files);
  await repo.commit('batch');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  return { app, output: pushed.output };
}

async function waitRun(app: string, id: number): Promise<Run> {
  for (;;) {
    const run = await json<Run>(`/api/apps/${app}/runs/${id}`);
    if (run.state !== 'running') return run;
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a push records the batch release and starts nothing; jobs:run runs the graph with retries and 4 parallel instances', async () => {
  const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/result`;
  const { app, output } = await deployApp('etl', {}, { RESULT_URL: hookUrl });
  assert.match(output, /jobs extract, transform, report \(they run with slipway jobs:run or on their schedule\)/);
  assert.deepEqual(await containers.listContainers({ app, all: true }), [], 'a deploy starts no job');
  const graph = await json<{ release: string; jobs: { name: string; dependsOn: string[]; instances: number; retries: number }[] }>(`/api/apps/${app}/jobs`);
  assert.deepEqual(graph.jobs.map((j) => [j.name, j.dependsOn, j.instances, j.retries]), [
    ['extract', [], 1, 3], ['transform', ['extract (completed_successfully)'], 4, 0], ['report', ['transform (completed_successfully)'], 1, 0],
  ]);

  const cli = await s.cli(['jobs:run', app, '--wait']);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  const id = Number(/Started run (\d+) of v1/.exec(cli.stdout)?.[1]);
  assert.match(cli.stdout, new RegExp(`Run ${id} succeeded`));
  const run = await json<Run>(`/api/apps/${app}/runs/${id}`);
  assert.equal(run.state, 'succeeded');
  assert.equal(run.trigger, 'manual');
  const releases = await json<{ digest: string }[]>(`/api/apps/${app}/releases`);
  assert.equal(run.imageDigest, releases[0]!.digest, 'the image digest is recorded');
  const [extract, transform, report] = run.tasks;
  assert.deepEqual(extract!.instances[0]!.attempts.map((a) => [a.attempt, a.exitCode, a.kept]), [[1, 1, true], [2, 1, true], [3, 0, false]]);
  assert.deepEqual(transform!.instances.map((i) => i.state), ['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  // In parallel: every instance started before any of them finished (each runs ≥ 1 s).
  const starts = transform!.instances.map((i) => Date.parse(i.attempts[0]!.startedAt));
  const ends = transform!.instances.map((i) => Date.parse(i.attempts[0]!.finishedAt!));
  assert.ok(Math.max(...starts) < Math.min(...ends), `starts ${starts} ends ${ends}`);
  assert.equal(report!.state, 'succeeded');
  // remove-finished: the two failed extract containers are kept (and listed), the rest are gone.
  assert.deepEqual(run.keptContainers, [`slipway-${app}-extract-run${id}-0-1`, `slipway-${app}-extract-run${id}-0-2`]);
  const left = (await containers.listContainers({ app, all: true })).map((c) => c.name).sort();
  assert.deepEqual(left, run.keptContainers);

  // Output per task and instance in the log store.
  const logs = await s.cli(['logs', app, '--run', String(id), '--service', 'transform']);
  assert.equal(logs.code, 0, logs.stderr);
  for (let i = 0; i < 4; i++) assert.match(logs.stdout, new RegExp(`transform\\.run${id}-${i}-1 \\| transform ${i} of 4: 25 rows`));
  assert.doesNotMatch(logs.stdout, /extract attempt/);
  const all = await s.cli(['logs', app, '--run', String(id)]);
  assert.match(all.stdout, /extract attempt 3 of run/);
  assert.match(all.stdout, /report: total 4950 from 4 parts/);

  // The result webhook, signed with the app's webhook secret.
  const secret = (await json<{ secret: string }>(`/api/apps/${app}/webhooks`)).secret;
  const hook = hooks.find((h) => JSON.parse(h.body).run.id === id);
  assert.ok(hook, 'the result webhook was called');
  assert.equal(hook.signature, `sha256=${createHmac('sha256', secret).update(hook.body).digest('hex')}`);
  assert.equal(JSON.parse(hook.body).run.state, 'succeeded');
  assert.equal((await json<Run>(`/api/apps/${app}/runs/${id}`)).notified[0]!.status, 200);

  // runs and runs:show, as a user reads them.
  const runs = await s.cli(['runs', app]);
  assert.match(runs.stdout, new RegExp(`${id}\\s+manual\\s+-\\s+\\S+\\s+v1\\s+succeeded`));
  const show = await s.cli(['runs:show', app, String(id)]);
  assert.match(show.stdout, /extract\s+0\s+2\s+1\s+slipway-\S+-extract-run\d+-0-2\s+kept/);

  // Retries exhausted: the run fails, downstream tasks are skipped; remove-all removes the failed containers.
  const failing = await s.cli(['config:set', app, 'FAIL_EXTRACT=1', 'EXTRACT_POLICY=remove-all']);
  assert.equal(failing.code, 0, failing.stdout + failing.stderr);
  const bad = await s.cli(['jobs:run', app, '--wait', '--json']);
  assert.equal(bad.code, 1, 'jobs:run --wait exits non-zero when the run fails');
  const failed = JSON.parse(bad.stdout) as Run;
  assert.equal(failed.state, 'failed');
  assert.equal(failed.release, 'v2', 'config changes reach the next run');
  assert.equal(failed.reason, 'extract failed: instance 0 exited with 3 after 4 attempts');
  assert.deepEqual(failed.tasks.map((t) => t.state), ['failed', 'skipped', 'skipped']);
  assert.deepEqual(failed.keptContainers, []);
  assert.deepEqual((await containers.listContainers({ app, all: true })).filter((c) => c.name.includes(`-run${failed.id}-`)), []);
});

test('jobs:run --task runs one task; a cancel stops its containers', async () => {
  const { app } = await deployApp('cancel', {}, { TRANSFORM_SECONDS: '60' });
  const started = await json<Run>(`/api/apps/${app}/jobs/run`, { method: 'POST', body: JSON.stringify({ task: 'transform' }) });
  assert.deepEqual(started.tasks.map((t) => [t.name, t.state]), [['transform', 'pending']]);
  // transform alone has no extracted file and fails: jobs:run --task runs exactly the task.
  const alone = await waitRun(app, started.id);
  assert.deepEqual(alone.tasks.map((t) => t.name), ['transform']);
  const unknown = await s.api(`/api/apps/${app}/jobs/run`, { method: 'POST', body: JSON.stringify({ task: 'nope' }) });
  assert.equal(unknown.status, 404);
  assert.match(((await unknown.json()) as { error: string }).error, /has no job "nope" \(jobs: extract, transform, report\)/);

  const run = await json<Run>(`/api/apps/${app}/jobs/run`, { method: 'POST', body: '{}' });
  for (;;) {
    const r = await json<Run>(`/api/apps/${app}/runs/${run.id}`);
    if (r.tasks[1]?.state === 'running' && r.tasks[1].instances.every((i) => i.attempts[0]?.container)) break;
    await new Promise((res) => setTimeout(res, 300));
  }
  const cancel = await s.cli(['runs:cancel', app, String(run.id)]);
  assert.equal(cancel.code, 0, cancel.stderr);
  const done = await waitRun(app, run.id);
  assert.equal(done.state, 'cancelled');
  assert.deepEqual(done.tasks.map((t) => t.state), ['succeeded', 'cancelled', 'cancelled']);
  const running = (await containers.listContainers({ app, all: true })).filter((c) => c.state === 'running');
  assert.deepEqual(running, []);
});

test("a dependent waits held and ready: its container is up before what it waits for exits, its command runs only after", async () => {
  const task = (name: string, code: string, dependsOn = '') =>
    [`  ${name}:`, '    build: .', `    command: ["python3", "-c", ${JSON.stringify(code)}]`, '    volumes: ["data:/data"]', dependsOn,
      '    labels: { slipway.job: "true", slipway.job.remove_containers: keep-all }'].filter(Boolean).join('\n');
  const compose = ['services:',
    task('first', "import time, pathlib, os; time.sleep(8); pathlib.Path('/data/ready-' + os.environ['SLIPWAY_RUN_ID']).write_text('yes'); print('first wrote', flush=True)"),
    task('second', "import pathlib, os; print('second read', pathlib.Path('/data/ready-' + os.environ['SLIPWAY_RUN_ID']).read_text(), flush=True)",
      '    depends_on: { first: { condition: service_completed_successfully } }'),
    'volumes: { data: {} }', ''].join('\n');
  const { app } = await deployApp('held', { 'compose.yaml': compose });
  const run = await waitRun(app, (await json<Run>(`/api/apps/${app}/jobs/run`, { method: 'POST', body: '{}' })).id);
  assert.equal(run.state, 'succeeded', run.reason ?? '');
  const logs = await s.cli(['logs', app, '--run', String(run.id), '--service', 'second']);
  assert.match(logs.stdout, /second read yes/, 'it ran after first had written its file');
  const [first, second] = await Promise.all(['first', 'second'].map((t) => containers.exitState(run.tasks.find((x) => x.name === t)!.instances[0]!.attempts[0]!.container)));
  assert.equal(second?.exitCode, 0);
  assert.ok(Date.parse(second!.startedAt) < Date.parse(first!.finishedAt), `second's container started (${second!.startedAt}) before first exited (${first!.finishedAt}): it was held, not started cold`);
});

test('an Aliyun offline-task compose file deploys unchanged and runs (once per deploy with SLIPWAY_JOBS_ON_DEPLOY)', async () => {
  const compose = readFileSync(path.join(ROOT, 'test/fixtures/compose/aliyun-batch.yml'), 'utf8');
  const { app, output } = await deployApp('aliyun', { 'compose.yaml': compose }, { SLIPWAY_JOBS_ON_DEPLOY: '1' });
  assert.match(output, /aliyun\.routing\.port_80 is an Aliyun label Slipway does not use/);
  const onDeploy = Number(/Started job run (\d+) of v1 \(SLIPWAY_JOBS_ON_DEPLOY\)/.exec(output)?.[1]);
  assert.ok(onDeploy, output);
  const deployed = await waitRun(app, onDeploy);
  assert.deepEqual([deployed.trigger, deployed.state, deployed.release], ['deploy', 'succeeded', 'v1']);
  const graph = await json<{ jobs: { name: string; instances: number; retries: number; removeContainers: string; schedule: string | null }[] }>(`/api/apps/${app}/jobs`);
  assert.deepEqual(graph.jobs.map((j) => [j.name, j.instances, j.retries, j.removeContainers, j.schedule]), [
    ['prepare', 1, 2, 'remove-all', null], ['compute', 2, 1, 'remove-finished', '0 0 3 * * *'],
  ]);
  const cron = await s.cli(['cron', app, '--json']);
  const schedules = JSON.parse(cron.stdout) as { name: string; cron: string; runs: string; next: string[] }[];
  assert.equal(schedules[0]!.name, 'compute');
  assert.equal(schedules[0]!.runs, 'all jobs');
  assert.equal(schedules[0]!.next.length, 3);
  assert.match(schedules[0]!.next[0]!, / 03:00:00 /);

  const cli = await s.cli(['jobs:run', app, '--wait']);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  const id = Number(/Started run (\d+)/.exec(cli.stdout)?.[1]);
  const logs = await s.cli(['logs', app, '--run', String(id), '--service', 'compute']);
  assert.match(logs.stdout, /compute 0/);
  assert.match(logs.stdout, /compute 1/);
  assert.deepEqual(await containers.listContainers({ app, all: true }), [], 'remove-all and remove-finished left nothing');
});
