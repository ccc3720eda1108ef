// The blue-green rollout as pure logic over fake ports: what starts, in which order, when
// traffic moves, when the release counts as live, and what is removed when something fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Release, ServiceSpec } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { nextColor, rollout, type Color, type RolloutPorts, type RunningContainer } from '../../../src/deploy/rollout.js';
import { serviceSpec } from '../../helpers/specs.js';

function service(name: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  const worker: Partial<ServiceSpec> = { role: 'worker', port: undefined, health: { kind: 'none' } };
  return serviceSpec({ name, stopGraceSeconds: 7, ...(name === 'web' ? {} : worker), ...over });
}

function release(version: number, services: ServiceSpec[], over: Partial<Release> = {}): Release {
  return {
    app: 'demo',
    version,
    image: { repository: 'r/demo', tags: [`v${version}`], digest: 'sha256:x', ref: 'r/demo@sha256:x' },
    sha: null,
    config: {},
    services,
    scale: {},
    appJson: null,
    releaseCommand: null,
    serviceSource: null,
    description: '',
    status: 'pending',
    createdAt: '',
    ...over,
  };
}

/** Fake ports recording every call in order; `unhealthy` names containers whose health fails. */
function fakePorts(existing: RunningContainer[], opts: { unhealthy?: string[]; oneOffExit?: Record<string, number>; inFlight?: number[] } = {}) {
  const calls: string[] = [];
  let n = 0;
  let clock = 0;
  const inFlight = [...(opts.inFlight ?? [])];
  const ports: RolloutPorts = {
    drainSeconds: 5,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
      calls.push(`sleep ${ms}`);
    },
    prepare: async (r) => void calls.push(`prepare v${r.version}`),
    start: async (r, s, color, index) => {
      const name = `${s.name}-${color ?? `v${r.version}`}-${index}`;
      calls.push(`start ${name}`);
      return { id: `id${++n}`, name, ip: `10.0.0.${n}`, service: s.name, release: r.version, color };
    },
    waitHealthy: async (c) => {
      calls.push(`health ${c.name}`);
      if (opts.unhealthy?.includes(c.name)) throw new UserError(`${c.name} is unhealthy`);
    },
    runOneOff: async (_r, kind) => {
      calls.push(`oneoff ${kind}`);
      return opts.oneOffExit?.[kind] ?? 0;
    },
    list: async () => existing,
    remove: async (c, grace) => void calls.push(`remove ${c.name} grace ${grace}`),
    proxy: {
      prepare: async (_app, web) => void calls.push(`proxy prepare ${web.map((w) => `${w.service}:${w.replicas}`).join(',')}`),
      switchTo: async (_app, s, color, servers) => void calls.push(`switch ${s} ${color} ${servers.map((x) => x.addr).join(',')}`),
      inFlight: async () => inFlight.shift() ?? 0,
      disable: async (_app, s, color) => void calls.push(`disable ${s} ${color}`),
    },
  };
  return { ports, calls };
}

const running = (name: string, serviceName: string, rel: number, color: Color | null): RunningContainer => ({ id: name, name, ip: '10.9.9.9', service: serviceName, release: rel, color });

test('first deploy: dependencies start first, web goes live on blue, the release is live after the switch', async () => {
  const r = release(1, [service('web', { dependsOn: [{ service: 'worker', condition: 'service_started' }] }), service('worker')]);
  const { ports, calls } = fakePorts([]);
  await rollout(r, null, ports, () => undefined, () => calls.push('live'));
  assert.deepEqual(calls, [
    'prepare v1',
    'proxy prepare web:1',
    'start worker-v1-1',
    'health worker-v1-1',
    'start web-blue-1',
    'health web-blue-1',
    'switch web blue 10.0.0.2',
    'live',
  ]);
});

test('a redeploy starts the other color, switches, goes live, drains, then stops the old release with its grace', async () => {
  const prev = release(1, [service('web'), service('worker')]);
  const next = release(2, [service('web'), service('worker')], { scale: { web: 2 } });
  const old = [running('web-blue-1', 'web', 1, 'blue'), running('worker-v1-1', 'worker', 1, null)];
  const { ports, calls } = fakePorts(old);
  const said: string[] = [];
  await rollout(next, prev, ports, (l) => said.push(l), () => calls.push('live'));
  assert.match(said.at(-1)!, /^-----> v2: web green 2\/2, worker 1\/1 running; v1 stopped \(\d+\.\d s\)$/);
  assert.ok(said.includes('-----> v1 drained in 0.0 s'), said.join('\n'));
  assert.deepEqual(calls, [
    'prepare v2',
    'proxy prepare web:2',
    'start web-green-1',
    'start web-green-2',
    'start worker-v2-1',
    'health web-green-1',
    'health web-green-2',
    'health worker-v2-1',
    'switch web green 10.0.0.1,10.0.0.2',
    'live',
    'remove web-blue-1 grace 7',
    'remove worker-v1-1 grace 7',
    'disable web blue',
  ]);
  assert.equal(nextColor(old, 'web', 1), 'green');
});

test('a failing health check removes what started, never switches, never goes live; the old release is untouched', async () => {
  const prev = release(1, [service('web')]);
  const { ports, calls } = fakePorts([running('web-blue-1', 'web', 1, 'blue')], { unhealthy: ['web-green-1'] });
  await assert.rejects(rollout(release(2, [service('web')]), prev, ports, () => undefined, () => calls.push('live')), /web-green-1 is unhealthy/);
  assert.ok(!calls.some((c) => c.startsWith('switch') || c === 'live' || c.includes('web-blue-1')), calls.join('\n'));
  assert.ok(calls.includes('remove web-green-1 grace 0'));
});

test('a failing release command stops the deploy before any container starts', async () => {
  const { ports, calls } = fakePorts([], { oneOffExit: { release: 3 } });
  await assert.rejects(rollout(release(1, [service('web')], { releaseCommand: 'rake db:migrate' }), null, ports, () => undefined), /release command failed with exit code 3: rake db:migrate/);
  assert.ok(!calls.some((c) => c.startsWith('start')), calls.join('\n'));
});

test('a failing postdeploy script is reported; the release stays live and the old one still stops', async () => {
  const prev = release(1, [service('web')]);
  const next = release(2, [service('web')], { appJson: { healthchecks: {}, scripts: { postdeploy: 'notify' }, env: {}, formation: null } });
  const { ports, calls } = fakePorts([running('web-blue-1', 'web', 1, 'blue')], { oneOffExit: { postdeploy: 1 } });
  const said: string[] = [];
  await rollout(next, prev, ports, (l) => said.push(l), () => calls.push('live'));
  assert.deepEqual(calls.slice(calls.indexOf('switch web green 10.0.0.1')), ['switch web green 10.0.0.1', 'live', 'oneoff postdeploy', 'remove web-blue-1 grace 7', 'disable web blue']);
  assert.ok(said.includes(' !     postdeploy command failed with exit code 1: notify'), said.join('\n'));
  assert.ok(said.some((l) => /v2 stays live/.test(l)), said.join('\n'));
});

test("Heroku's scripts.postdeploy runs after the first deploy only; Dokku's postdeploy after every deploy", async () => {
  const appJson = { healthchecks: {}, scripts: { postdeploy: 'notify', firstDeploy: 'seed' }, env: {}, formation: null };
  const ran: string[] = [];
  const record = (l: string) => {
    const m = /^-----> Running postdeploy command: (.*)$/.exec(l);
    if (m) ran.push(m[1]!);
  };
  const first = fakePorts([]);
  await rollout(release(1, [service('web')], { appJson }), null, first.ports, record);
  assert.deepEqual(ran.splice(0), ['notify', 'seed']);
  const again = fakePorts([running('web-blue-1', 'web', 1, 'blue')]);
  await rollout(release(2, [service('web')], { appJson }), release(1, [service('web')]), again.ports, record);
  assert.deepEqual(ran, ['notify']);
});

test('a process type scaled to 0 starts nothing; the others deploy', async () => {
  const r = release(1, [service('web'), service('worker', { replicas: 0 }), service('task')], { scale: { task: 0 } });
  const { ports, calls } = fakePorts([]);
  const said: string[] = [];
  await rollout(r, null, ports, (l) => said.push(l));
  assert.ok(!calls.some((c) => /start (worker|task)/.test(c)), calls.join('\n'));
  assert.ok(calls.includes('start web-blue-1'));
  assert.ok(said.includes('-----> v1: worker is scaled to 0 (slipway scale demo worker=1 starts it)'), said.join('\n'));
});

test('the release command runs unless the rollout is told to skip the release phase (scale, rollback)', async () => {
  const r = release(2, [service('web')], { releaseCommand: './migrate' });
  const run = fakePorts([]);
  await rollout(r, null, run.ports, () => undefined);
  assert.ok(run.calls.includes('oneoff release'));
  const skip = fakePorts([]);
  await rollout(r, null, skip.ports, () => undefined, undefined, { releasePhase: false });
  assert.ok(!skip.calls.includes('oneoff release'), skip.calls.join('\n'));
});

test('leftovers of the new color from a crashed attempt are removed before it starts', async () => {
  const prev = release(1, [service('web')]);
  const leftovers = [running('web-blue-1', 'web', 1, 'blue'), running('web-green-1-stale', 'web', 2, 'green')];
  const { ports, calls } = fakePorts(leftovers);
  await rollout(release(3, [service('web')]), prev, ports, () => undefined);
  assert.ok(calls.indexOf('remove web-green-1-stale grace 0') < calls.indexOf('start web-green-1'), calls.join('\n'));
});

test('the old color is stopped once its in-flight requests are done, not before', async () => {
  const prev = release(1, [service('web')]);
  const { ports, calls } = fakePorts([running('web-blue-1', 'web', 1, 'blue')], { inFlight: [3, 1, 0] });
  const said: string[] = [];
  await rollout(release(2, [service('web')]), prev, ports, (l) => said.push(l));
  assert.deepEqual(calls.slice(calls.indexOf('switch web green 10.0.0.1')), ['switch web green 10.0.0.1', 'sleep 100', 'sleep 100', 'remove web-blue-1 grace 7', 'disable web blue']);
  assert.ok(said.includes('-----> v1 drained in 0.2 s'), said.join('\n'));
});

test('a request still open at the drain limit does not hold the deploy: the old color stops anyway', async () => {
  const prev = release(1, [service('web')]);
  const { ports, calls } = fakePorts([running('web-blue-1', 'web', 1, 'blue')], { inFlight: Array(1000).fill(1) });
  const said: string[] = [];
  await rollout(release(2, [service('web')]), prev, ports, (l) => said.push(l));
  assert.equal(calls.filter((c) => c === 'sleep 100').length, 50);
  assert.ok(calls.includes('remove web-blue-1 grace 7'));
  assert.ok(said.some((l) => /v1 still had 1 request open after 5 s \(SLIPWAY_DRAIN_SECONDS\); stopping it/.test(l)), said.join('\n'));
});

test('a service failing to start while a sibling is still starting: the sibling is removed too once it has started', async () => {
  const r = release(2, [service('crasher'), service('steady', { replicas: 2 })]);
  const { ports, calls } = fakePorts([]);
  const start = ports.start;
  ports.start = async (rel, s, color, index) => {
    if (s.name === 'crasher') throw new UserError('cannot start crasher: no such image');
    await new Promise((res) => setTimeout(res, 30 * index)); // still starting when crasher fails
    return start(rel, s, color, index);
  };
  await assert.rejects(rollout(r, null, ports, () => undefined), /no such image/);
  const removed = calls.filter((c) => c.startsWith('remove')).sort();
  assert.deepEqual(removed, ['remove steady-v2-1 grace 0', 'remove steady-v2-2 grace 0']);
});

test('a service failing its health check stops its siblings\' waits, and every started container is removed', async () => {
  const r = release(2, [service('bad'), service('slow')]);
  const { ports, calls } = fakePorts([], { unhealthy: ['bad-v2-1'] });
  const wait = ports.waitHealthy;
  ports.waitHealthy = async (c, s, progress, signal) => {
    if (s.name !== 'slow') return wait(c, s, progress, signal);
    // A wait that would last until its timeout unless told to stop.
    await new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(new UserError('stopped waiting'))));
  };
  await assert.rejects(rollout(r, null, ports, () => undefined), /bad-v2-1 is unhealthy/);
  assert.deepEqual(calls.filter((c) => c.startsWith('remove')).sort(), ['remove bad-v2-1 grace 0', 'remove slow-v2-1 grace 0']);
});
