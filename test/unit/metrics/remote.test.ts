// What /metrics shows of the containers the node agents sample: their interval rows summed into
// counters, gauges as last read, and a container no longer reported forgotten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteReadings } from '../../../src/metrics/remote.js';
import type { ContainerRow } from '../../../src/metrics/store.js';

const row = (key: string, over: Partial<ContainerRow> = {}): ContainerRow => ({
  key, labels: { app: 'shop', service: 'web', release: 4, color: 'blue', name: `slipway_shop_web_blue.1.${key}` },
  dur: 1000, cpuUs: 250_000, mem: 10, memLimit: 100, ioRead: 1, ioWrite: 2, netRx: 3, netTx: 4, restarts: 0, ...over,
});

test('rows add up to counters; memory and restarts are the last reading', () => {
  const r = new RemoteReadings();
  r.add(1000, [row('a')]);
  r.add(2000, [row('a', { mem: 30, restarts: 1 }), row('b')]);
  const [a, b] = r.current(0);
  assert.deepEqual(a!.usage, { cpuSeconds: 0.5, memoryWorkingSet: 30, memoryLimit: 100, ioReadBytes: 2, ioWriteBytes: 4, netRxBytes: 6, netTxBytes: 8 });
  assert.equal(a!.restarts, 1);
  assert.equal(a!.source, 'agent');
  assert.equal(b!.usage.cpuSeconds, 0.25);
});

test('a container not reported since the cut-off is dropped', () => {
  const r = new RemoteReadings();
  r.add(1000, [row('gone')]);
  r.add(5000, [row('here')]);
  assert.deepEqual(r.current(3000).map((c) => c.id), ['here']);
  assert.deepEqual(r.current(0).map((c) => c.id), ['here']);
});
