// Named volumes on a swarm are each node's own: the deploy says so when an app's replicas would
// not share one, and only then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { volumeWarnings } from '../../../src/cluster/ports.js';
import type { Release } from '../../../src/domain.js';
import { serviceSpec } from '../../helpers/specs.js';

const data = { source: 'data', target: '/data', bind: false, readOnly: false };
const release = (services: ReturnType<typeof serviceSpec>[], scale: Record<string, number> = {}) => ({ services, scale }) as unknown as Release;

test('a named volume used by more than one replica is named in a warning that says what to do', () => {
  const [w, ...rest] = volumeWarnings(release([serviceSpec({ name: 'web', replicas: 3, volumes: [data] })]));
  assert.deepEqual(rest, []);
  assert.match(w!, /^volume data \(web\): named volumes are local to each node.*deploy\.placement\.constraints/);
  assert.equal(volumeWarnings(release([serviceSpec({ name: 'web', replicas: 1, volumes: [data] })], { web: 2 })).length, 1, 'scaled to 2');
  assert.equal(volumeWarnings(release([serviceSpec({ name: 'web', volumes: [data] }), serviceSpec({ name: 'worker', role: 'worker', volumes: [data] })])).length, 1, 'two services, one replica each');
});

test('one replica, or a bind mount, gets no warning', () => {
  assert.deepEqual(volumeWarnings(release([serviceSpec({ name: 'db', replicas: 1, volumes: [data] })])), []);
  assert.deepEqual(volumeWarnings(release([serviceSpec({ name: 'web', replicas: 3, volumes: [{ ...data, source: '/srv', bind: true }] })])), []);
});
