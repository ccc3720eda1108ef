// The swarm's in-place resize over a fake Swarm: out, the new tasks join HAProxy only once
// healthy; in, the tasks Swarm chose to stop (whichever slots those are) are drained and left
// out, and the others keep serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { swarmResize, type SwarmResizeDeps } from '../../../src/cluster/resize.js';
import type { Swarm, TaskInfo } from '../../../src/docker/swarm.js';
import type { Release } from '../../../src/domain.js';
import { serviceSpec } from '../../helpers/specs.js';

const NAME = 'slipway_shop_web_blue';
const release = { app: 'shop', version: 4, services: [serviceSpec({ name: 'web', role: 'web', port: 5000 })], scale: {} } as unknown as Release;
const task = (slot: number, desiredState = 'running'): TaskInfo => ({
  id: `t${slot}`, serviceId: 's1', slot, nodeId: `n${slot}`, state: 'running', desiredState, message: '', err: '', exitCode: null,
  containerId: `c${slot}`, addresses: { 'slipway-shop': `10.0.1.${slot}` }, updatedAt: '2026-01-01T00:00:00Z',
});

function fake(tasks: TaskInfo[], onScale: (n: number, tasks: TaskInfo[]) => void) {
  const calls: string[] = [];
  let replicas = tasks.filter((t) => t.desiredState === 'running').length;
  const swarm = {
    services: async () => [{ id: 's1', name: NAME, labels: { 'slipway.app': 'shop', 'slipway.service': 'web', 'slipway.release': '4', 'slipway.color': 'blue' }, replicas }],
    tasks: async () => tasks.map((t) => ({ ...t })),
    scaleService: async (_name: string, n: number) => {
      calls.push(`scale ${n}`);
      replicas = n;
      onScale(n, tasks);
    },
  } as unknown as Swarm;
  const addrs = (servers: { addr: string }[]) => servers.map((s) => s.addr).join(',');
  const deps: SwarmResizeDeps = {
    swarm,
    ports: { drainSeconds: 5, waitHealthy: async (c) => void calls.push(`healthy ${c.name}`) },
    proxy: {
      prepare: async (_app, web) => void calls.push(`prepare ${web.map((w) => `${w.service}×${w.replicas}`).join(',')}`),
      setServers: async (_a, _s, color, servers) => void calls.push(`set ${color} ${addrs(servers)}`),
      drainServers: async (_a, _s, servers) => void calls.push(`drain ${addrs(servers)}`),
      inFlightAt: async () => 0,
    },
    healthTimeoutSeconds: 5,
    sleep: async () => undefined,
  };
  return { deps, calls };
}

test('scale-in drains the task Swarm let go — here the lowest slot, not the highest — then leaves it out', async () => {
  const { deps, calls } = fake([task(1), task(2), task(3)], (_n, tasks) => (tasks[0]!.desiredState = 'remove'));
  const lines: string[] = [];
  assert.equal(await swarmResize(deps, release, 'web', 2, (l) => lines.push(l)), 3);
  assert.deepEqual(calls, ['scale 2', 'drain 10.0.1.1', 'set blue 10.0.1.2,10.0.1.3']);
  assert.match(lines.join('\n'), /draining slipway_shop_web_blue\.1/);
});

test('scale-out: Swarm starts the tasks, they are waited for healthy, then the color serves all of them', async () => {
  const { deps, calls } = fake([task(1)], (n, tasks) => {
    for (let slot = 2; slot <= n; slot++) tasks.push(task(slot));
  });
  assert.equal(await swarmResize(deps, release, 'web', 3, () => undefined), 1);
  assert.deepEqual(calls, ['scale 3', `healthy ${NAME}.2`, `healthy ${NAME}.3`, 'prepare web×3', 'set blue 10.0.1.1,10.0.1.2,10.0.1.3']);
});

test('a new task that fails to become healthy: back to the count it had, and the color is untouched (Swarm stopped the new one)', async () => {
  const { deps, calls } = fake([task(1)], (n, tasks) => {
    if (n === 2) tasks.push(task(2));
    else tasks[1]!.desiredState = 'remove';
  });
  deps.ports.waitHealthy = async () => {
    throw new Error('no answer on port 5000');
  };
  await assert.rejects(swarmResize(deps, release, 'web', 2, () => undefined), /scaling web to 2 failed: no answer on port 5000/);
  assert.deepEqual(calls, ['scale 2', 'scale 1']);
});

test('a failed scale-out where Swarm stops a serving task instead: that one is drained and left out', async () => {
  const { deps, calls } = fake([task(1), task(2)], (n, tasks) => {
    if (n === 3) tasks.push(task(3));
    else tasks[0]!.desiredState = 'remove';
  });
  deps.ports.waitHealthy = async () => {
    throw new Error('no answer on port 5000');
  };
  await assert.rejects(swarmResize(deps, release, 'web', 3, () => undefined), /failed/);
  assert.deepEqual(calls, ['scale 3', 'scale 2', 'drain 10.0.1.1', 'set blue 10.0.1.2']);
});
