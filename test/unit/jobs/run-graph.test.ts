// runGraph over fake ports: the order tasks start in, parallel instances, retries with back-off,
// what a failure stops, skipped tasks, cancel, the remove policy and what is recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceSpec } from '../../../src/domain.js';
import { MAX_HELD, runGraph, type TaskPorts } from '../../../src/jobs/run-graph.js';
import { backoffMs, type RunDetail } from '../../../src/jobs/model.js';
import { serviceSpec } from '../../helpers/specs.js';

const job = (name: string, over: Partial<ServiceSpec> = {}, retries = 0, removeContainers: NonNullable<ServiceSpec['job']>['removeContainers'] = 'remove-finished'): ServiceSpec =>
  serviceSpec({ name, role: 'job', restart: 'no', job: { retries, removeContainers }, ...over });
const after = (service: string, condition: ServiceSpec['dependsOn'][number]['condition'] = 'service_completed_successfully') => ({ dependsOn: [{ service, condition }] });

/** Exit code (and how long it runs, ms) of each attempt: `script('extract', 0, 1)`. */
type Script = (task: string, index: number, attempt: number) => { code: number; ms?: number };

/** `startMs`: how long the engine takes to start a task's containers (`started ID` is logged after). */
function fakePorts(script: Script, opts: { notReady?: string; startMs?: Record<string, number> } = {}) {
  const events: string[] = [];
  const sleeps: number[] = [];
  let live = 0;
  let maxLive = 0;
  const exits = new Map<string, (code: number) => void>();
  const plans = new Map<string, { code: number; ms?: number }>();
  const removed: string[] = [];
  const ports: TaskPorts = {
    async create(task, index, attempt) {
      const id = `${task.name}-${index}-${attempt}`;
      events.push(`create ${id}`);
      plans.set(id, script(task.name, index, attempt));
      return { id, name: `c-${id}` };
    },
    hold(task, index) {
      return this.create(task, index, 1);
    },
    async start(id) {
      events.push(`start ${id}`);
      const ms = opts.startMs?.[id.replace(/-\d+-\d+$/, '')];
      if (ms) {
        await new Promise((r) => setTimeout(r, ms));
        events.push(`started ${id}`);
      }
      live++;
      maxLive = Math.max(maxLive, live);
    },
    wait(id) {
      return new Promise((resolve) => {
        const done = (code: number) => {
          if (!exits.has(id)) return;
          exits.delete(id);
          live--;
          events.push(`exit ${id} ${code}`);
          resolve(code);
        };
        exits.set(id, done);
        setTimeout(() => done(plans.get(id)!.code), plans.get(id)!.ms ?? 1);
      });
    },
    async stop(id) {
      exits.get(id)?.(137);
    },
    async remove(id) {
      removed.push(id);
    },
    async discard(id) {
      events.push(`discard ${id}`);
    },
    async serviceReady(service) {
      return service === opts.notReady ? 'it has no running container' : null;
    },
    async sleep(ms, signal) {
      sleeps.push(ms);
      // A tenth of the real back-off, ended early by the signal as the real sleep is.
      if (!signal.aborted)
        await new Promise<void>((r) => {
          const t = setTimeout(r, ms / 10);
          signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
    },
    now: () => new Date(),
  };
  return { ports, events, sleeps, removed, maxLive: () => maxLive };
}

const run = (tasks: ServiceSpec[], ports: TaskPorts, signal = new AbortController().signal, replicas: Record<string, number> = {}) => {
  const saved: RunDetail[] = [];
  return runGraph(
    { tasks, replicas: (t) => replicas[t.name] ?? t.replicas, backoff: { baseMs: 100, maxMs: 250 }, record: (d) => saved.push(structuredClone(d)), signal },
    ports,
  ).then((r) => ({ ...r, saved }));
};

test('back-off doubles from the base and is capped (10 s, 20 s, 40 s … 6 min)', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, 10_000, 360_000) / 1000), [10, 20, 40, 80, 160, 320, 360, 360]);
});

test('the three-task graph: extract fails twice then succeeds, transform ×4 in parallel, then report', async () => {
  const f = fakePorts((task, _i, attempt) => ({ code: task === 'extract' && attempt < 3 ? 1 : 0, ms: task === 'transform' ? 20 : 1 }));
  const tasks = [job('extract', {}, 3), job('transform', { replicas: 4, ...after('extract') }), job('report', after('transform'))];
  const r = await run(tasks, f.ports);
  assert.equal(r.state, 'succeeded', r.reason ?? '');
  assert.deepEqual(f.sleeps, [100, 200], 'back-off before the 2nd and 3rd attempts');
  assert.equal(f.maxLive(), 4, 'the four transform instances ran at once');
  const order = f.events.filter((e) => e.startsWith('start')).map((e) => e.split(' ')[1]!.replace(/-\d+-\d+$/, ''));
  assert.deepEqual([...new Set(order)], ['extract', 'transform', 'report']);
  const [extract, transform, report] = r.detail.tasks;
  assert.deepEqual(extract!.instances[0]!.attempts.map((a) => [a.attempt, a.exitCode, a.container, a.kept]), [
    [1, 1, 'c-extract-0-1', true], [2, 1, 'c-extract-0-2', true], [3, 0, 'c-extract-0-3', false],
  ]);
  assert.deepEqual(transform!.instances.map((i) => [i.index, i.state]), [[0, 'succeeded'], [1, 'succeeded'], [2, 'succeeded'], [3, 'succeeded']]);
  assert.equal(report!.state, 'succeeded');
  assert.ok(r.detail.tasks.every((t) => t.startedAt && t.finishedAt));
  // Dependents' first containers are created while what they wait for runs; only the start waits.
  assert.ok(f.events.indexOf('create transform-0-1') < f.events.indexOf('exit extract-0-3 0'), f.events.join(', '));
  assert.ok(f.events.indexOf('create report-0-1') < f.events.indexOf('exit transform-3-1 0'), f.events.join(', '));
  assert.ok(r.saved.length > 10, 'every change is recorded as it happens');
});

test('retries exhausted: the run fails, downstream tasks are skipped, failed containers kept per policy', async () => {
  const f = fakePorts((task) => ({ code: task === 'extract' ? 3 : 0 }));
  const r = await run([job('extract', {}, 1), job('transform', after('extract')), job('report', after('transform'))], f.ports);
  assert.equal(r.state, 'failed');
  assert.equal(r.reason, 'extract failed: instance 0 exited with 3 after 2 attempts');
  assert.deepEqual(r.detail.tasks.map((t) => t.state), ['failed', 'skipped', 'skipped']);
  assert.deepEqual(f.removed, [], 'remove-finished keeps failed containers');
  assert.ok(f.events.includes('discard transform-0-1'), 'the container created ahead for a skipped task is removed');
  assert.deepEqual(r.detail.tasks[0]!.instances[0]!.attempts.map((a) => a.kept), [true, true]);

  const all = fakePorts(() => ({ code: 1 }));
  const r2 = await run([job('extract', {}, 0, 'remove-all')], all.ports);
  assert.equal(r2.state, 'failed');
  assert.deepEqual(all.removed, ['extract-0-1']);
  const kept = fakePorts(() => ({ code: 0 }));
  await run([job('a', {}, 0, 'keep-all'), job('b', {}, 0, 'remove-failed')], kept.ports);
  assert.deepEqual(kept.removed, []);
});

test('after a failure nothing new starts: running tasks finish, their dependents and retries do not start', async () => {
  const f = fakePorts((task) => (task === 'fast' ? { code: 1 } : { code: 0, ms: 40 }));
  const r = await run([job('fast'), job('slow', {}, 2), job('next', after('slow'))], f.ports);
  assert.equal(r.state, 'failed');
  assert.deepEqual(r.detail.tasks.map((t) => t.state), ['failed', 'succeeded', 'skipped']);
  const retrying = fakePorts((task) => (task === 'fast' ? { code: 1, ms: 30 } : { code: 2 }));
  const r2 = await run([job('fast'), job('flaky', {}, 5)], retrying.ports);
  assert.ok(r2.detail.tasks[1]!.instances[0]!.attempts.length < 6, 'no retry starts once the run has failed');
});

test('service_started lets a dependent start beside its dependency, once its container has started', async () => {
  const f = fakePorts((task) => ({ code: 0, ms: task === 'server' ? 30 : 1 }), { startMs: { server: 15 } });
  const r = await run([job('server'), job('client', after('server', 'service_started'))], f.ports);
  assert.equal(r.state, 'succeeded');
  const at = (e: string) => f.events.indexOf(e);
  assert.ok(at('started server-0-1') < at('start client-0-1'), f.events.join(', '));
  assert.ok(at('start client-0-1') < at('exit server-0-1 0'), f.events.join(', '));
});

test("every task's first containers are held ready before any starts; each starts only when what it waits for allows", async () => {
  const f = fakePorts((task) => ({ code: 0, ms: task === 'transform' ? 40 : 1 }));
  const r = await run([job('extract'), job('transform', { replicas: 3, ...after('extract') }), job('report', after('transform'))], f.ports);
  assert.equal(r.state, 'succeeded', r.reason ?? '');
  const at = (e: string) => f.events.indexOf(e);
  const firstStart = f.events.findIndex((e) => e.startsWith('start '));
  for (const c of ['extract-0-1', 'transform-0-1', 'transform-1-1', 'transform-2-1', 'report-0-1']) assert.ok(at(`create ${c}`) < firstStart, f.events.join(', '));
  for (const i of [0, 1, 2]) assert.ok(at(`start transform-${i}-1`) > at('exit extract-0-1 0'), f.events.join(', '));
  assert.ok(at('start report-0-1') > at('exit transform-2-1 0'), f.events.join(', '));
  assert.equal(f.events.filter((e) => e.startsWith('create report')).length, 1, 'held once, then released');
});

test(`beyond ${MAX_HELD} instances, the rest are created at their turn`, async () => {
  const f = fakePorts(() => ({ code: 0 }));
  const r = await run([job('wide', { replicas: MAX_HELD + 3 })], f.ports);
  assert.equal(r.state, 'succeeded', r.reason ?? '');
  const firstStart = f.events.findIndex((e) => e.startsWith('start '));
  assert.equal(f.events.slice(0, firstStart).filter((e) => e.startsWith('create ')).length, MAX_HELD);
  assert.equal(f.events.filter((e) => e.startsWith('create ')).length, MAX_HELD + 3);
});

test('a job whose long-running dependency is not up fails with why', async () => {
  const f = fakePorts(() => ({ code: 0 }));
  const r = await run([job('load', after('db', 'service_healthy'))], f.ports);
  assert.equal(r.state, 'succeeded');
  const down = fakePorts(() => ({ code: 0 }), { notReady: 'db' });
  const r2 = await run([job('load', after('db', 'service_healthy'))], down.ports);
  assert.equal(r2.state, 'failed');
  assert.equal(r2.reason, 'load failed: needs db (service_healthy): it has no running container');
});

test('cancel stops running containers; tasks not started are cancelled', async () => {
  const f = fakePorts(() => ({ code: 0, ms: 10_000 }));
  const ac = new AbortController();
  const p = run([job('long', { replicas: 2 }), job('later', after('long'))], f.ports, ac.signal);
  setTimeout(() => ac.abort(), 20);
  const r = await p;
  assert.equal(r.state, 'cancelled');
  assert.deepEqual(r.detail.tasks.map((t) => t.state), ['cancelled', 'cancelled']);
  assert.deepEqual(r.detail.tasks[0]!.instances.map((i) => i.attempts[0]!.exitCode), [137, 137]);
});

test("the release's scale sets the instance count", async () => {
  const f = fakePorts(() => ({ code: 0 }));
  const r = await run([job('t')], f.ports, undefined, { t: 3 });
  assert.equal(r.detail.tasks[0]!.instances.length, 3);
});

test("an attempt's container: named for run, instance and attempt; labelled; never restarted by Docker", async () => {
  const { jobContainerOptions } = await import('../../../src/jobs/container.js');
  const spec = jobContainerOptions({
    app: 'etl',
    release: { version: 7, imageRef: 'reg/etl@sha256:abc', config: { DB: 'x' } },
    task: job('transform', { command: ['python3', 'transform.py'], restart: 'unless-stopped' }),
    runId: 12,
    index: 3,
    instances: 4,
    attempt: 2,
  });
  assert.equal(spec.name, 'slipway-etl-transform-run12-3-2');
  assert.equal(spec.Image, 'reg/etl@sha256:abc');
  assert.deepEqual(spec.Cmd, ['python3', 'transform.py']);
  assert.equal(spec.HostConfig.RestartPolicy.Name, '');
  assert.equal(spec.Labels['slipway.kind'], 'job');
  assert.equal(spec.Labels['slipway.run'], '12');
  assert.equal(spec.Labels['slipway.release'], '7');
  assert.equal(spec.Labels['slipway.service'], 'transform');
  for (const e of ['DB=x', 'SLIPWAY_RUN_ID=12', 'SLIPWAY_JOB_INDEX=3', 'SLIPWAY_JOB_INSTANCES=4', 'SLIPWAY_JOB_ATTEMPT=2', 'SLIPWAY_RELEASE=v7'])
    assert.ok(spec.Env.includes(e), `${e} in ${spec.Env.join(' ')}`);
  assert.ok(!spec.Env.some((e) => e.startsWith('PORT=')), 'a job gets no PORT');
});
