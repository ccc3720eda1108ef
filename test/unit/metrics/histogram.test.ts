// Response-time percentiles from the access log: within 5 % of the exact value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram } from '../../../src/metrics/histogram.js';

const exact = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * values.length) - 1)]!;

test('p50 and p95 are within 5 % of the exact percentiles over a skewed distribution', () => {
  const h = new Histogram();
  const values: number[] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  for (let i = 0; i < 10_000; i++) {
    const v = i % 20 === 0 ? 200 + rand() * 800 : 5 + rand() * 40;
    values.push(v);
    h.record(v);
  }
  for (const q of [0.5, 0.95, 0.99]) {
    const want = exact(values, q);
    const got = h.quantile(q)!;
    assert.ok(Math.abs(got - want) / want < 0.05, `q${q}: ${got} vs ${want}`);
  }
});

test('an empty histogram has no percentile; sub-millisecond requests count as under 1 ms', () => {
  const h = new Histogram();
  assert.equal(h.quantile(0.5), null);
  h.record(0);
  h.record(0.3);
  assert.ok(h.quantile(0.95)! < 1);
});
