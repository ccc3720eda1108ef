// followTargets: HAProxy follows the running tasks of each app's serving release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followTargets } from '../../../src/cluster/follow.js';

const labels = (app: string, service: string, release: number, color?: string) => ({
  'slipway.app': app, 'slipway.service': service, 'slipway.release': String(release), ...(color ? { 'slipway.color': color } : {}),
});
const active = [{ app: 'shop', version: 4, web: [{ service: 'web', port: 5000 }] }];
const services = [
  { id: 'old', labels: labels('shop', 'web', 3, 'blue') },
  { id: 'new', labels: labels('shop', 'web', 4, 'green') },
  { id: 'wrk', labels: labels('shop', 'worker', 4) },
];
const t = (serviceId: string, ip: string, state = 'running', desiredState = 'running') => ({ serviceId, state, desiredState, addresses: { 'slipway-shop': ip } });

test('the active release\'s color points at its running tasks, moved ones included', () => {
  const tasks = [t('new', '10.0.1.5'), t('new', '10.0.1.9'), t('new', '10.0.1.7', 'running', 'shutdown'), t('new', '10.0.1.8', 'preparing'), t('old', '10.0.1.2')];
  assert.deepEqual(followTargets(active, services, tasks), [
    { app: 'shop', service: 'web', color: 'green', servers: [{ addr: '10.0.1.5', port: 5000 }, { addr: '10.0.1.9', port: 5000 }] },
  ]);
});

test('with no task running (all lost at once) the last known servers are kept', () => {
  assert.deepEqual(followTargets(active, services, [t('new', '10.0.1.5', 'pending')]), []);
});

test('an app whose active release has no Swarm service (before its first swarm deploy) is skipped', () => {
  assert.deepEqual(followTargets([{ app: 'blog', version: 1, web: [{ service: 'web', port: 5000 }] }], services, []), []);
});
