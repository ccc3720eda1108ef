// Start-up reconciliation after the autoscaler scaled a release in place: the backend gets slots
// for every running replica, not just the release's own scale, and all of them serve again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/log.js';
import { openTestState } from '../../helpers/state.js';
import { reconcile } from '../../../src/deploy/reconcile.js';
import type { RolloutPorts, RunningContainer } from '../../../src/deploy/rollout.js';
import { serviceSpec } from '../../helpers/specs.js';

test('replicas scaled in place beyond the release scale keep their slots and their traffic after a restart', async () => {
  const state = openTestState();
  const app = state.apps.create('demo');
  state.releases.create(app.id, {
    version: 1, image: { repository: 'r', tags: [], digest: 'd', ref: 'r@d' }, sha: null, config: {}, services: [serviceSpec()],
    scale: {}, appJson: null, releaseCommand: null, serviceSource: null, description: 'v1',
  });
  state.releases.activate(app.id, 1);
  const running: RunningContainer[] = Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, name: `slipway-demo-web-blue-${i + 1}`, ip: `10.0.0.${i + 1}`, service: 'web', release: 1, color: 'blue' }));
  const calls: string[] = [];
  const ports = {
    list: async () => running,
    remove: async () => undefined,
    proxy: {
      prepare: async (_a: string, web: { service: string; replicas: number }[]) => void calls.push(`prepare ${web.map((w) => `${w.service}:${w.replicas}`).join(',')}`),
      switchTo: async (_a: string, _s: string, color: string, servers: unknown[]) => void calls.push(`switch ${color} ${servers.length}`),
      disable: async (_a: string, _s: string, color: string) => void calls.push(`disable ${color}`),
      inFlight: async () => 0,
    },
  } as unknown as RolloutPorts;
  await reconcile(state, ports, silentLogger());
  assert.deepEqual(calls, ['prepare web:5', 'switch blue 5', 'disable green']);
});
