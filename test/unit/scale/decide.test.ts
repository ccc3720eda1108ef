// The autoscaler's rule: 3 looks in a row beyond a limit, cool-down, scale-in stabilization, no
// scale-in on missing metrics, starting replicas not counted, up wins over down, min/max kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AutoscaleRule } from '../../../src/domain.js';
import { decide, FRESH, observe, type Decision, type Observation, type ScalerState } from '../../../src/scale/decide.js';

const rule: AutoscaleRule = { maxCpu: 70, minCpu: 30, step: 1, minInstances: 1, maxInstances: 4 };
const timing = { samples: 3, cooldownMs: 180_000, stabilizationMs: 300_000 };
const look = (at: number, cpu: number | null, over: Partial<Observation> = {}): Observation => ({ at, cpu, memory: null, counted: 2, starting: 0, missing: false, ...over });

/** Runs looks one minute apart from t0; returns each decision. */
function run(looks: (number | null | Partial<Observation>)[], replicas = 2, state: ScalerState = FRESH, r = rule, t = timing) {
  const out: Decision[] = [];
  let s = state;
  let n = replicas;
  looks.forEach((l, i) => {
    const at = 1_000_000 + i * 60_000;
    const obs = typeof l === 'object' && l !== null ? look(at, 50, l) : look(at, l);
    const d = decide(r, n, obs, s, t);
    s = d.state;
    if (d.action !== 'none') n = d.to;
    out.push(d);
  });
  return out;
}

test('scale-out after 3 looks in a row above max_cpu, by step, and not after 2', () => {
  const d = run([80, 90, 85]);
  assert.deepEqual(d.map((x) => x.action), ['none', 'none', 'out']);
  assert.equal(d[2]!.to, 3);
  assert.match(d[2]!.reason, /cpu 85\.0 % > max_cpu 70 for 3 looks in a row/);
  assert.deepEqual(run([80, 90, 50, 80, 90]).map((x) => x.action), ['none', 'none', 'none', 'none', 'none']);
});

test('a cool-down follows every change', () => {
  const d = run([80, 80, 80, 80, 80], 1, FRESH, rule, { ...timing, samples: 1 });
  assert.deepEqual(d.map((x) => x.action), ['out', 'none', 'none', 'out', 'none']);
  assert.match(d[1]!.reason, /cooling down for 120 s more/);
  // With 3 looks needed, the streak starts again after a change.
  assert.deepEqual(run([80, 80, 80, 80, 80, 80]).map((x) => x.action), ['none', 'none', 'out', 'none', 'none', 'out']);
});

test('scale-in only once the condition held for the stabilization window, step by step, never below min_instances', () => {
  const d = run([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], 3);
  const ins = d.map((x, i) => [i, x.action, x.to]).filter(([, a]) => a === 'in');
  assert.deepEqual(ins, [[5, 'in', 2], [11, 'in', 1]]);
  assert.match(d.at(-1)!.reason, /already at min_instances 1|held/);
});

test('no scale-in while metrics are missing; scale-out still happens on the figures there are', () => {
  const missing = run(Array(8).fill({ cpu: 5, missing: true }), 3);
  assert.ok(missing.every((x) => x.action === 'none'));
  assert.match(missing[0]!.reason, /metrics missing/);
  assert.equal(run([{ cpu: 95, missing: true }, { cpu: 95, missing: true }, { cpu: 95, missing: true }])[2]!.action, 'out');
});

test('any limit crossed upwards wins over one crossed downwards', () => {
  const both: AutoscaleRule = { maxMemory: 80, minCpu: 30, step: 1, minInstances: 1, maxInstances: 4 };
  const d = run([{ cpu: 5, memory: 90 }, { cpu: 5, memory: 90 }, { cpu: 5, memory: 90 }], 2, FRESH, both);
  assert.equal(d[2]!.action, 'out');
  assert.match(d[2]!.reason, /memory 90\.0 % > max_memory 80/);
});

test('min/max: never beyond max_instances; outside the bounds, back inside at once', () => {
  const d = run([80, 80, 80], 4);
  assert.equal(d[2]!.action, 'none');
  assert.match(d[2]!.reason, /already at max_instances 4/);
  assert.deepEqual(run([50], 6).map((x) => [x.action, x.to]), [['in', 4]]);
  assert.deepEqual(run([50], 0).map((x) => [x.action, x.to]), [['out', 1]]);
  const big = run([80, 80, 80], 3, FRESH, { ...rule, step: 5 });
  assert.equal(big[2]!.to, 4);
});

test('observe: replicas created within the window are starting, not idle; one without figures makes metrics missing', () => {
  const at = 1_000_000;
  const old = at - 600_000;
  const busy = { cpu: 90, memory: 100, memoryLimit: 1000, coveredMs: 60_000 };
  const o = observe(at, 60_000, [{ createdAt: old, average: busy }, { createdAt: at - 10_000, average: { ...busy, cpu: 0, coveredMs: 10_000 } }]);
  assert.deepEqual([o.cpu, o.memory, o.counted, o.starting, o.missing], [90, 10, 1, 1, false]);
  assert.equal(observe(at, 60_000, [{ createdAt: old, average: busy }, { createdAt: old }]).missing, true);
  assert.equal(observe(at, 60_000, []).missing, true);
});
