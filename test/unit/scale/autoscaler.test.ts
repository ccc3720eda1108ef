// The autoscaler is the engine's client, whatever the engine: it looks at the replicas the engine
// lists (a container on one host, a task's container on a swarm) by the ids their metrics are
// stored under, and queues the change; the engine's resize carries it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/log.js';
import { openTestState } from '../../helpers/state.js';
import { Autoscaler } from '../../../src/scale/autoscaler.js';
import type { Replica } from '../../../src/deploy/engine.js';
import type { DeploymentRow } from '../../../src/state/deployments.js';
import { serviceSpec } from '../../helpers/specs.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');

function setup(replica: Replica) {
  const state = openTestState();
  const app = state.apps.create('busy');
  const web = serviceSpec({ name: 'web', role: 'web', autoscale: { maxCpu: 50, minInstances: 1, maxInstances: 4, step: 1 } });
  state.releases.create(app.id, {
    version: 1, image: { repository: 'r/busy', tags: ['v1'], digest: 'sha256:1', ref: 'r/busy@sha256:1' }, sha: null, config: {}, services: [web], scale: {},
    appJson: null, releaseCommand: null, serviceSource: null, description: 'Deploy',
  });
  state.releases.activate(app.id, 1);
  const looked: string[] = [];
  const enqueued: DeploymentRow[] = [];
  const scaler = new Autoscaler({
    state,
    averages: (_app, ids) => new Map(ids.filter((id) => id === 'c1').map((id) => [id, { cpu: 95, memory: 10, memoryLimit: null, coveredMs: 60_000 }])),
    list: async (a) => (looked.push(a), [replica]),
    enqueue: async (d) => void enqueued.push(d),
    timing: { intervalMs: 60_000, windowMs: 60_000, samples: 1, cooldownMs: 0, stabilizationMs: 0 },
    logger: silentLogger(),
    now: () => NOW,
  });
  return { scaler, looked, enqueued };
}

const replica = (over: Partial<Replica>): Replica => ({ id: 'c1', service: 'web', color: 'blue', release: 1, state: 'running', createdAt: NOW - 3_600_000, ...over });

test('a busy replica listed by the engine gets its service scaled out', async () => {
  const { scaler, looked, enqueued } = setup(replica({}));
  await scaler.tick();
  assert.deepEqual(looked, ['busy']);
  assert.equal(enqueued.length, 1, 'a change is queued');
  assert.equal(enqueued[0]!.trigger, 'autoscale');
  assert.equal((enqueued[0]!.params as { replicas: number }).replicas, 2);
});

test('a replica whose metrics are not there (another id) counts for nothing: no change', async () => {
  const { scaler, enqueued } = setup(replica({ id: 'other' }));
  await scaler.tick();
  assert.deepEqual(enqueued, []);
});
