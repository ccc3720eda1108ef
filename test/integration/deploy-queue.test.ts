// The deploy queue on a real Redis (BullMQ), with a stand-in pipeline that records what ran when:
// one deploy at a time per app, different apps in parallel, queued pushes superseded by the
// newest, rollbacks never superseded, user errors not retried, transient faults retried; a
// deployment waiting for its app's turn holds no worker slot; an attempt has a deadline.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TransientError, UserError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { DeployQueue, type DeployQueueDeps, type RunDeployment } from '../../src/queue/deploy-queue.js';
import { DeployProgress } from '../../src/queue/progress.js';
import type { State } from '../../src/state/index.js';
import { openTestState } from '../helpers/state.js';
import type { DeploymentRow } from '../../src/state/deployments.js';
import { uniqueName } from '../helpers/server.js';
import { redisUrlFrom } from '../../src/config.js';

const REDIS = redisUrlFrom();
let dir: string;
let state: State;
let queue: DeployQueue;

/** What the stand-in pipeline saw, and gates that hold a deployment until the test opens them. */
const events: string[] = [];
const gates = new Map<number, () => void>();
const started = new Map<number, Promise<void>>();
const onStart = new Map<number, () => void>();
let behaviour: (d: DeploymentRow, attempt: number) => void = () => undefined;
const attempts = new Map<number, number>();

const run: RunDeployment = async (d) => {
  const n = (attempts.get(d.id) ?? 0) + 1;
  attempts.set(d.id, n);
  events.push(`start ${d.id}`);
  onStart.get(d.id)?.();
  behaviour(d, n);
  await new Promise<void>((resolve) => (gates.has(d.id) ? gates.set(d.id, resolve) : resolve()));
  events.push(`end ${d.id}`);
  return { release: d.id };
};

/** Makes deployment `id` wait for `open(id)` once it has started. */
function hold(id: number): void {
  gates.set(id, () => undefined);
  started.set(id, new Promise((r) => onStart.set(id, r)));
}
const open = (id: number) => gates.get(id)!();

async function settled(ids: number[]): Promise<DeploymentRow[]> {
  for (let i = 0; i < 600; i++) {
    const rows = ids.map((id) => state.deployments.get(id));
    if (rows.every((r) => !['queued', 'running'].includes(r.status))) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
  return assert.fail(`deployments ${ids.join(', ')} never settled: ${JSON.stringify(ids.map((id) => state.deployments.get(id)))} ${JSON.stringify(events)}`);
}

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-queue-'));
  state = openTestState(path.join(dir, 'state.db'));
  const progress = new DeployProgress(path.join(dir, 'deploys'));
  queue = new DeployQueue({ redisUrl: REDIS, prefix: uniqueName('q'), deployments: state.deployments, progress, run, logger: silentLogger() });
  queue.start();
});
after(async () => {
  await queue.close();
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

test('one deploy at a time per app; other apps deploy meanwhile; queued pushes collapse to the newest', async () => {
  const a = state.apps.create(uniqueName('qa'));
  const b = state.apps.create(uniqueName('qb'));
  const a1 = state.deployments.create(a.id, { trigger: 'push', sha: '1'.repeat(40) });
  hold(a1.id);
  await queue.enqueue(a1);
  await started.get(a1.id);

  // While a1 runs: two more pushes and a rollback for A, and a push for B.
  const a2 = state.deployments.create(a.id, { trigger: 'push', sha: '2'.repeat(40) });
  const a3 = state.deployments.create(a.id, { trigger: 'webhook', sha: '3'.repeat(40) });
  const b1 = state.deployments.create(b.id, { trigger: 'push', sha: '4'.repeat(40) });
  for (const d of [a2, a3, b1]) await queue.enqueue(d);
  const [b1Done] = await settled([b1.id]);
  assert.equal(b1Done!.status, 'succeeded', 'B deployed while A was busy');
  assert.deepEqual(events.filter((e) => /^start/.test(e)), [`start ${a1.id}`, `start ${b1.id}`], 'nothing else of A started');

  open(a1.id);
  const [, s2, s3] = await settled([a1.id, a2.id, a3.id]);
  assert.equal(s2!.status, 'superseded');
  assert.match(s2!.error ?? '', new RegExp(`superseded by deployment ${a3.id}`));
  assert.equal(s3!.status, 'succeeded');
  // A's deploys never overlapped: each ended before the next started.
  const mine = events.filter((e) => [a1.id, a2.id, a3.id].includes(Number(e.split(' ')[1])));
  assert.deepEqual(mine, [`start ${a1.id}`, `end ${a1.id}`, `start ${a3.id}`, `end ${a3.id}`]);
});

test('a rollback queued behind a push is not superseded by it: both run, in order', async () => {
  const a = state.apps.create(uniqueName('qr'));
  const p1 = state.deployments.create(a.id, { trigger: 'push', sha: '5'.repeat(40) });
  hold(p1.id);
  await queue.enqueue(p1);
  await started.get(p1.id);
  const rb = state.deployments.create(a.id, { trigger: 'rollback' });
  const cfg = state.deployments.create(a.id, { trigger: 'config' });
  await queue.enqueue(rb);
  await queue.enqueue(cfg);
  open(p1.id);
  const rows = await settled([p1.id, rb.id, cfg.id]);
  assert.deepEqual(rows.map((r) => r.status), ['succeeded', 'succeeded', 'succeeded']);
  const order = events.filter((e) => e.startsWith('start') && [p1.id, rb.id, cfg.id].includes(Number(e.split(' ')[1])));
  assert.deepEqual(order, [`start ${p1.id}`, `start ${rb.id}`, `start ${cfg.id}`]);
});

test('a user error fails at once; a transient fault is retried until it passes', async () => {
  const a = state.apps.create(uniqueName('qe'));
  const bad = state.deployments.create(a.id, { trigger: 'push', sha: '6'.repeat(40) });
  const flaky = state.deployments.create(a.id, { trigger: 'rollback' });
  behaviour = (d, attempt) => {
    if (d.id === bad.id) throw new UserError('build failed at Step 2/3');
    if (d.id === flaky.id && attempt === 1) throw new TransientError('registry unreachable');
  };
  await queue.enqueue(bad);
  await queue.enqueue(flaky);
  const [b, f] = await settled([bad.id, flaky.id]);
  assert.equal(b!.status, 'failed');
  assert.match(b!.error ?? '', /build failed at Step 2\/3/);
  assert.equal(attempts.get(bad.id), 1, 'a user error is not retried');
  assert.equal(f!.status, 'succeeded');
  assert.equal(attempts.get(flaky.id), 2, 'the transient fault was retried once');
});

/** A queue of its own (own prefix and state), for tests that need other settings. */
async function ownQueue(t: { after(fn: () => Promise<void>): void }, run: RunDeployment, more: Partial<DeployQueueDeps> = {}) {
  const d = mkdtempSync(path.join(os.tmpdir(), 'slipway-queue-'));
  const st = openTestState(path.join(d, 'state.db'));
  const q = new DeployQueue({
    redisUrl: REDIS,
    prefix: uniqueName('q'),
    deployments: st.deployments,
    progress: new DeployProgress(path.join(d, 'deploys')),
    run,
    logger: silentLogger(),
    ...more,
  });
  q.start();
  t.after(async () => {
    await q.close();
    st.close();
    rmSync(d, { recursive: true, force: true });
  });
  const settledIn = async (id: number) => {
    for (let i = 0; i < 1200; i++) {
      const r = st.deployments.get(id);
      if (!['queued', 'running'].includes(r.status)) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    return assert.fail(`deployment ${id} never settled: ${JSON.stringify(st.deployments.get(id))}`);
  };
  return { q, st, settledIn };
}

test("deployments waiting for their app's turn hold no worker slot: another app deploys meanwhile", async (t) => {
  const release = new Map<number, () => void>();
  const ran: number[] = [];
  const run: RunDeployment = async (d) => {
    ran.push(d.id);
    await new Promise<void>((r) => (d.trigger === 'push' && d.sha === 'hold' ? release.set(d.id, r) : r()));
    return {};
  };
  // Two slots: app A's running deploy takes one; A's three waiting ones must not take the other.
  const { q, st, settledIn } = await ownQueue(t, run, { concurrency: 2, parkMs: 500 });
  const a = st.apps.create(uniqueName('qs'));
  const b = st.apps.create(uniqueName('qt'));
  const a1 = st.deployments.create(a.id, { trigger: 'push', sha: 'hold' });
  await q.enqueue(a1);
  while (!release.has(a1.id)) await new Promise((r) => setTimeout(r, 20));
  const waiting = [st.deployments.create(a.id, { trigger: 'rollback' }), st.deployments.create(a.id, { trigger: 'config' }), st.deployments.create(a.id, { trigger: 'scale' })];
  for (const d of waiting) await q.enqueue(d);
  await new Promise((r) => setTimeout(r, 1000)); // the worker has picked A's waiting jobs up by now
  const b1 = st.deployments.create(b.id, { trigger: 'push', sha: '7'.repeat(40) });
  await q.enqueue(b1);
  assert.equal((await settledIn(b1.id)).status, 'succeeded', 'B deployed while A was busy');
  assert.equal(st.deployments.get(a1.id).status, 'running');

  release.get(a1.id)!();
  for (const d of waiting) assert.equal((await settledIn(d.id)).status, 'succeeded');
  const order = ran.filter((id) => [a1.id, ...waiting.map((d) => d.id)].includes(id));
  assert.deepEqual(order, [a1.id, ...waiting.map((d) => d.id)], "A's deployments ran one at a time, in the order they were made");
});

test('an attempt past SLIPWAY_DEPLOY_TIMEOUT is stopped, fails naming the step and the limit, and is not retried', async (t) => {
  let attempts = 0;
  const run: RunDeployment = async (_d, _out, deadline) => {
    attempts++;
    deadline.step('the build');
    // A step that never ends by itself, but stops when its signal aborts (as the real ones do).
    await new Promise((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason)));
    return {};
  };
  const { q, st, settledIn } = await ownQueue(t, run, { deployTimeoutSeconds: 1 });
  const a = st.apps.create(uniqueName('qd'));
  const d = st.deployments.create(a.id, { trigger: 'push', sha: '8'.repeat(40) });
  await q.enqueue(d);
  const done = await settledIn(d.id);
  assert.equal(done.status, 'failed');
  assert.match(done.error ?? '', /the deploy took longer than its limit of 1 s \(SLIPWAY_DEPLOY_TIMEOUT\) and was stopped during the build/);
  assert.equal(attempts, 1);
});

test('a deploy retried after a newer one of the app started is skipped, saying so; finished() runs once per deployment, at its final outcome', async (t) => {
  const finished: number[] = [];
  let newer: DeploymentRow | undefined;
  const ran: string[] = [];
  let ctx: Awaited<ReturnType<typeof ownQueue>>;
  const run: RunDeployment = async (d) => {
    ran.push(`${d.id}`);
    if (d.trigger === 'webhook') {
      // The first attempt fails transiently after a newer push has been queued behind it.
      const push = ctx.st.deployments.create(d.appId, { trigger: 'push', sha: 'c'.repeat(40) });
      newer = push;
      await ctx.q.enqueue(push);
      throw new TransientError('registry unreachable');
    }
    return { release: 2 };
  };
  ctx = await ownQueue(t, run, { finished: (d) => finished.push(d.id) });
  const a = ctx.st.apps.create(uniqueName('qn'));
  const old = ctx.st.deployments.create(a.id, { trigger: 'webhook', sha: 'b'.repeat(40) });
  await ctx.q.enqueue(old);
  const done = await ctx.settledIn(old.id);
  assert.equal(done.status, 'superseded');
  assert.match(done.error ?? '', new RegExp(`superseded by deployment ${newer!.id}, which started first`));
  assert.equal((await ctx.settledIn(newer!.id)).status, 'succeeded');
  assert.deepEqual(ran, [`${old.id}`, `${newer!.id}`], 'the old deploy did not run again');
  assert.deepEqual(finished.sort(), [old.id, newer!.id].sort());
});
