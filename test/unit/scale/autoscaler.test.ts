// The autoscaler where it cannot run (swarm mode): its looks change nothing and read nothing,
// and its status says why; where it can, the same service over the same figures is scaled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/log.js';
import { openTestState } from '../../helpers/state.js';
import { Autoscaler } from '../../../src/scale/autoscaler.js';
import type { ContainerInfo } from '../../../src/docker/containers.js';
import type { DeploymentRow } from '../../../src/state/deployments.js';
import { serviceSpec } from '../../helpers/specs.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');

function setup(refused: string | null) {
  const state = openTestState();
  const app = state.apps.create('busy');
  const web = serviceSpec({ name: 'web', role: 'web', autoscale: { maxCpu: 50, minInstances: 1, maxInstances: 4, step: 1 } });
  state.releases.create(app.id, {
    version: 1, image: { repository: 'r/busy', tags: ['v1'], digest: 'sha256:1', ref: 'r/busy@sha256:1' }, sha: null, config: {}, services: [web], scale: {},
    appJson: null, releaseCommand: null, serviceSource: null, description: 'Deploy',
  });
  state.releases.activate(app.id, 1);
  const container = { id: 'c1', app: 'busy', service: 'web', color: 'blue', release: 1, state: 'running', createdAt: NOW - 3_600_000 } as unknown as ContainerInfo;
  const looked: string[] = [];
  const enqueued: DeploymentRow[] = [];
  const scaler = new Autoscaler({
    state,
    refused: () => refused,
    averages: () => new Map([['c1', { cpu: 95, memory: 10, memoryLimit: null, coveredMs: 60_000 }]]),
    list: async (a) => (looked.push(a), [container]),
    enqueue: async (d) => void enqueued.push(d),
    timing: { intervalMs: 60_000, windowMs: 60_000, samples: 1, cooldownMs: 0, stabilizationMs: 0 },
    logger: silentLogger(),
    now: () => NOW,
  });
  return { state, app, scaler, looked, enqueued };
}

test('in swarm mode the autoscaler reads no figures and queues no change; its status says why', async () => {
  const { app, scaler, looked, enqueued } = setup('autoscaling does not run on a swarm yet');
  await scaler.tick();
  assert.deepEqual(looked, []);
  assert.deepEqual(enqueued, []);
  assert.equal(scaler.status(app.id).refused, 'autoscaling does not run on a swarm yet');
});

test('on one host the same service over the same figures is scaled out', async () => {
  const { app, scaler, looked, enqueued } = setup(null);
  await scaler.tick();
  assert.deepEqual(looked, ['busy']);
  assert.equal(enqueued.length, 1, 'a change is queued');
  assert.equal(enqueued[0]!.trigger, 'autoscale');
  assert.equal(scaler.status(app.id).refused, undefined);
});
