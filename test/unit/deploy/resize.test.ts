// Scaling a serving release in place, over fake ports: new replicas join the backend only once
// healthy; removed ones are drained and leave it before they stop; a failed start removes what
// it started and leaves the backend alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Release } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { freeIndexes, resize, type ResizePorts } from '../../../src/deploy/resize.js';
import type { RunningContainer } from '../../../src/deploy/rollout.js';
import { serviceSpec } from '../../helpers/specs.js';

const release: Release = {
  app: 'demo', version: 7, image: { repository: 'r', tags: [], digest: 'd', ref: 'r@d' }, sha: null, config: {},
  services: [serviceSpec({ stopGraceSeconds: 4 })], scale: {}, appJson: null, releaseCommand: null, serviceSource: null,
  description: '', status: 'active', createdAt: '',
};
const running = (i: number): RunningContainer => ({ id: `c${i}`, name: `slipway-demo-web-green-${i}`, ip: `10.0.0.${i}`, service: 'web', release: 7, color: 'green' });

function fake(existing: RunningContainer[], opts: { unhealthy?: string; inFlight?: number[] } = {}) {
  const calls: string[] = [];
  let clock = 0;
  const inFlight = [...(opts.inFlight ?? [])];
  const addrs = (s: { addr: string }[]) => s.map((x) => x.addr).join(',');
  const ports: ResizePorts = {
    drainSeconds: 5,
    now: () => clock,
    sleep: async (ms) => void (clock += ms),
    prepare: async () => void calls.push('prepare'),
    start: async (_r, s, color, i) => {
      calls.push(`start ${i}`);
      return { id: `n${i}`, name: `slipway-demo-web-${color}-${i}`, ip: `10.0.1.${i}`, service: s.name, release: 7, color };
    },
    waitHealthy: async (c) => {
      calls.push(`health ${c.name}`);
      if (c.name === opts.unhealthy) throw new UserError(`${c.name} is unhealthy`);
    },
    list: async () => existing,
    remove: async (c, grace) => void calls.push(`remove ${c.name} ${grace}`),
    proxy: {
      prepare: async (_app, web) => void calls.push(`slots ${web.map((w) => `${w.service}:${w.replicas}`).join(',')}`),
      setServers: async (_a, _s, color, servers) => void calls.push(`set ${color} ${addrs(servers)}`),
      drainServers: async (_a, _s, servers) => void calls.push(`drain ${addrs(servers)}`),
      inFlightAt: async () => inFlight.shift() ?? 0,
    },
  };
  return { ports, calls };
}

test('scale-out: new replicas take the free numbers, and join the serving color only once all are healthy', async () => {
  const { ports, calls } = fake([running(1), running(3)]);
  assert.equal(await resize(release, 'web', 4, ports, () => undefined), 2);
  assert.deepEqual(calls, [
    'prepare', 'start 2', 'start 4', 'health slipway-demo-web-green-2', 'health slipway-demo-web-green-4',
    'slots web:4', 'set green 10.0.0.1,10.0.0.3,10.0.1.2,10.0.1.4',
  ]);
  assert.deepEqual(freeIndexes([1, 3], 3), [2, 4, 5]);
});

test('scale-in: the highest-numbered replicas drain until idle, leave the backend, then stop with their grace', async () => {
  const { ports, calls } = fake([running(1), running(2), running(3)], { inFlight: [2, 1, 0] });
  assert.equal(await resize(release, 'web', 1, ports, () => undefined), 3);
  assert.deepEqual(calls, [
    'drain 10.0.0.3,10.0.0.2', 'set green 10.0.0.1', 'remove slipway-demo-web-green-3 4', 'remove slipway-demo-web-green-2 4',
  ]);
});

test('a replica that fails its health check is removed; the backend is not touched and the error says why', async () => {
  const { ports, calls } = fake([running(1)], { unhealthy: 'slipway-demo-web-green-2' });
  await assert.rejects(resize(release, 'web', 2, ports, () => undefined), /green-2 is unhealthy/);
  assert.deepEqual(calls.filter((c) => /^(set|slots|remove)/.test(c)), ['remove slipway-demo-web-green-2 0']);
});

test('a web service with no running replica cannot be scaled in place', async () => {
  await assert.rejects(resize(release, 'web', 2, fake([]).ports, () => undefined), /no running replica/);
});
