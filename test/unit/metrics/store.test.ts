// The metrics database: raw samples roll up into coarser buckets as sums and time-weighted
// means, each tier is pruned at its age, and the file stays under its size bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTiers, tierFor } from '../../../src/metrics/retention.js';
import { MetricsStore, type ContainerRow, type HttpRow } from '../../../src/metrics/store.js';

const labels = { app: 'demo', service: 'web', release: 3, color: 'blue', name: 'slipway-demo-web-blue-1' };
const row = (over: Partial<ContainerRow> = {}): ContainerRow => ({
  key: 'c1', labels, dur: 10_000, cpuUs: 5_000_000, mem: 100, memLimit: 1000, ioRead: 1, ioWrite: 2, netRx: 3, netTx: 4, restarts: 0, ...over,
});
const http = (over: Partial<HttpRow> = {}): HttpRow => ({
  key: 'demo_web', labels: { ...labels, release: null, color: null, name: 'demo_web' }, dur: 10_000, requests: 100, r2xx: 90, r4xx: 5, r5xx: 5,
  sessions: 2, queue: 0, p50: 10, p95: 50, timed: 100, ...over,
});

test('tiers parse from the settings; the finest tier that covers a window answers it', () => {
  const tiers = parseTiers(24 * 3600e3, '1m:7d,10m:30d');
  assert.deepEqual(tiers.map((t) => [t.bucketMs, t.keepMs]), [[0, 86_400_000], [60_000, 604_800_000], [600_000, 2_592_000_000]]);
  assert.equal(tierFor(tiers, 1e12, 1e12 - 3600e3).tier, 0);
  assert.equal(tierFor(tiers, 1e12, 1e12 - 3 * 86_400e3).tier, 1);
  assert.equal(tierFor(tiers, 1e12, 1e12 - 90 * 86_400e3).tier, 2);
  assert.throws(() => parseTiers(1000, '10m:1d,15m:2d'), /larger multiple/);
  assert.throws(() => parseTiers(1000, 'x:1d'), /BUCKET:KEEP/);
});

test('raw rows roll up into 1-minute rows: counters summed, memory averaged over time, restarts the latest', () => {
  const store = new MetricsStore(':memory:', parseTiers(3600e3, '1m:1d'), 1e9);
  const t0 = 1_700_000_040_000; // :00 of a minute
  for (let i = 1; i <= 6; i++) store.insert(t0 + i * 10_000 - 1, [row({ mem: i * 100, restarts: i === 6 ? 1 : 0 })], [http({ p95: i === 6 ? 110 : 50 })]);
  store.maintain(t0 + 60_000 + 5);
  const [m] = store.containerRows('demo', { since: 0, tier: 1 });
  assert.equal(m!.ts, t0);
  assert.equal(m!.dur, 60_000);
  assert.equal(m!.cpuUs, 30_000_000);
  assert.equal(m!.mem, 350);
  assert.equal(m!.restarts, 1);
  assert.equal(m!.netTx, 24);
  const [h] = store.httpRows('demo', { since: 0, tier: 1 });
  assert.equal(h!.requests, 600);
  assert.equal(h!.r5xx, 30);
  assert.equal(h!.p95, 60);
  // Rolling up again changes nothing.
  store.maintain(t0 + 60_000 + 6);
  assert.equal(store.containerRows('demo', { since: 0, tier: 1 }).length, 1);
});

test('each tier is pruned at its own age', () => {
  const store = new MetricsStore(':memory:', parseTiers(60_000, '1m:10m'), 1e9);
  const t0 = 1_700_000_040_000;
  store.insert(t0 + 1, [row()], []);
  store.insert(t0 + 120_000, [row()], []);
  store.maintain(t0 + 120_001);
  assert.deepEqual(store.containerRows('demo', { since: 0, tier: 0 }).map((r) => r.ts), [t0 + 120_000]);
  assert.equal(store.containerRows('demo', { since: 0, tier: 1 }).length, 1);
  store.maintain(t0 + 20 * 60_000);
  assert.equal(store.containerRows('demo', { since: 0, tier: 1 }).length, 0);
});

test('the database stays under its size bound: the oldest raw samples go first', () => {
  const bound = 256 * 1024;
  const store = new MetricsStore(':memory:', parseTiers(86_400e3, '1m:7d'), bound);
  const t0 = 1_700_000_040_000;
  for (let i = 0; i < 200; i++) {
    const rows = Array.from({ length: 50 }, (_, c) => row({ key: `c${c}`, labels: { ...labels, name: `c${c}` } }));
    store.insert(t0 + i * 10_000, rows, []);
  }
  assert.ok(store.sizeBytes() > bound);
  store.maintain(t0 + 200 * 10_000);
  assert.ok(store.sizeBytes() <= bound, `${store.sizeBytes()} > ${bound}`);
  const left = store.containerRows('demo', { since: 0, tier: 0 });
  assert.ok(left.length > 0);
  assert.equal(left.at(-1)!.ts, t0 + 199 * 10_000, 'the newest samples are kept');
});
