// The scheduler over a real SQLite file and a fake clock and runner: one run per scheduled time
// however many schedulers (processes) look at it, restarts included; forbid records skips;
// after downtime, at most one late run, the rest missed; suspend and resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScheduleSpec } from '../../../src/domain.js';
import { silentLogger } from '../../../src/log.js';
import type { State } from '../../../src/state/index.js';
import { openTestState } from '../../helpers/state.js';

const KEY = Buffer.alloc(32, 7);
const openState = (file: string) => openTestState(file, KEY);
import { Scheduler } from '../../../src/jobs/scheduler.js';
import type { RunRow } from '../../../src/jobs/model.js';
import { serviceSpec } from '../../helpers/specs.js';

const T = Date.parse('2024-05-01T10:00:00Z');

function setup(schedule: Partial<ScheduleSpec> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-sched-'));
  const file = path.join(dir, 'state.db');
  const state = openState(file);
  const app = state.apps.create('etl');
  const sch: ScheduleSpec = { cron: '* * * * *', timezone: 'UTC', concurrency: 'forbid', deadlineSeconds: 300, history: 20, taskOnly: false, ...schedule };
  const job = serviceSpec({ name: 'report', role: 'job', restart: 'no', job: { retries: 0, removeContainers: 'remove-finished', schedule: sch } });
  state.releases.create(app.id, {
    version: 1, image: { repository: 'r/etl', tags: ['v1'], digest: 'sha256:1', ref: 'r/etl@sha256:1' }, sha: null, config: {}, services: [job], scale: {},
    appJson: null, releaseCommand: null, serviceSource: null, description: 'Deploy',
  });
  state.releases.activate(app.id, 1);
  return { dir, file, state, app };
}

/** A scheduler (one "process") on its own connection, at a given time. */
function process(file: string) {
  const state = openState(file);
  const started: RunRow[] = [];
  const cancelled: number[] = [];
  let now = 0;
  const sched = new Scheduler({
    state,
    logger: silentLogger(),
    now: () => new Date(now),
    runner: {
      owner: `test:${Math.random()}`,
      execute: (row) => void started.push(row),
      cancel: (_app, id) => (cancelled.push(id), state.runs.get(id)),
      prune: async () => undefined,
      tasksFor: () => [],
    },
  });
  return {
    state,
    started,
    cancelled,
    /** Wakes the scheduler at `at` (ms) once. */
    at(at: number) {
      now = at;
      sched.start();
      sched.stop();
    },
    close: () => state.close(),
  };
}

const runs = (state: State, appId: number) => state.runs.list(appId, { limit: 100 }).reverse();

test('two schedulers on one data dir, and a restarted one, start each scheduled time once', () => {
  const { dir, file, state, app } = setup();
  const a = process(file);
  const b = process(file);
  a.at(T - 30_000); // first sight: ticks before it never run
  assert.equal(a.started.length, 0);
  a.at(T + 5);
  b.at(T + 6);
  assert.equal(a.started.length + b.started.length, 1);
  const restarted = process(file);
  restarted.at(T + 50);
  state.runs.finish([...a.started, ...b.started][0]!.id, 'succeeded', null);
  b.at(T + 60_010);
  a.at(T + 60_020);
  assert.equal(a.started.length + b.started.length + restarted.started.length, 2);
  assert.deepEqual(runs(state, app.id).map((r) => [r.scheduledAt, r.state]), [
    ['2024-05-01T10:00:00.000Z', 'succeeded'], ['2024-05-01T10:01:00.000Z', 'running'],
  ]);
  for (const p of [a, b, restarted]) p.close();
  state.close();
  rmSync(dir, { recursive: true });
});

test('forbid records a skip while the previous run goes on; replace cancels it; allow overlaps', () => {
  for (const [concurrency, expect] of [['forbid', ['running', 'skipped']], ['replace', ['running', 'running']], ['allow', ['running', 'running']]] as const) {
    const { dir, file, state, app } = setup({ concurrency });
    const p = process(file);
    p.at(T - 1000);
    p.at(T + 5);
    p.at(T + 60_005); // the first is still running (the fake runner never finishes it)
    const rows = runs(state, app.id);
    assert.deepEqual(rows.map((r) => r.state), expect, concurrency);
    if (concurrency === 'forbid') assert.match(rows[1]!.reason!, new RegExp(`run ${rows[0]!.id} of this schedule was still running \\(concurrency: forbid\\)`));
    assert.deepEqual(p.cancelled, concurrency === 'replace' ? [rows[0]!.id] : []);
    p.close();
    state.close();
    rmSync(dir, { recursive: true });
  }
});

test('after downtime one late tick runs (within the deadline), the others are recorded missed, never a burst', () => {
  const { dir, file, state, app } = setup({ deadlineSeconds: 120 });
  const p = process(file);
  p.at(T - 1000);
  p.at(T + 5);
  state.runs.finish(p.started[0]!.id, 'succeeded', null);
  p.close();
  // Down for ten minutes; back at 10:10:30: 10:10 is 30 s late (runs); 10:01 … 10:09 are missed.
  const back = process(file);
  back.at(T + 10 * 60_000 + 30_000);
  assert.equal(back.started.length, 1);
  assert.equal(back.started[0]!.scheduledAt, '2024-05-01T10:10:00.000Z');
  const rows = runs(state, app.id);
  assert.equal(rows.filter((r) => r.state === 'missed').length, 9);
  assert.match(rows.find((r) => r.state === 'missed')!.reason!, /Slipway was not running at this time; a late tick runs only if it is the newest and at most 120 s late/);
  // Back after 10:15:00 + more than the deadline: nothing runs late.
  back.state.runs.finish(back.started[0]!.id, 'succeeded', null);
  back.at(T + 20 * 60_000 + 1000);
  assert.equal(back.started.length, 2, 'the 10:20 tick, 1 s late, runs');
  back.close();
  state.close();
  rmSync(dir, { recursive: true });
});

test('a suspended schedule starts nothing; resumed, the ticks it slept through do not run late', () => {
  const { dir, file, state, app } = setup();
  const p = process(file);
  p.at(T - 1000);
  state.runs.setSuspended(app.id, 'report', true, new Date(T).toISOString());
  p.at(T + 5);
  p.at(T + 60_005);
  assert.equal(p.started.length, 0);
  state.runs.setSuspended(app.id, 'report', false, new Date(T + 90_000).toISOString());
  p.at(T + 90_005);
  assert.equal(p.started.length, 0);
  p.at(T + 120_005);
  assert.deepEqual(p.started.map((r) => r.scheduledAt), ['2024-05-01T10:02:00.000Z']);
  assert.equal(runs(state, app.id).length, 1);
  p.close();
  state.close();
  rmSync(dir, { recursive: true });
});

test('a release rolled back from (or replaced) runs no schedule: only the active release’s schedules tick', () => {
  const { dir, file, state, app } = setup();
  const p = process(file);
  p.at(T - 1000);
  const v1 = state.releases.get(app.id, 1);
  state.releases.create(app.id, { ...v1, version: 2, services: [], description: 'Rollback to v0' });
  state.releases.activate(app.id, 2);
  p.at(T + 5);
  assert.equal(p.started.length, 0);
  state.releases.create(app.id, { ...v1, version: 3, description: 'Rollback to v1' });
  state.releases.activate(app.id, 3);
  p.at(T + 60_005);
  assert.deepEqual(p.started.map((r) => [r.scheduledAt, r.release]), [['2024-05-01T10:01:00.000Z', 3]]);
  p.close();
  state.close();
  rmSync(dir, { recursive: true });
});

test('history keeps the newest runs of each schedule; running ones are never dropped', () => {
  const { dir, state, app } = setup();
  for (let i = 0; i < 25; i++)
    state.runs.create(app.id, { trigger: 'schedule', schedule: 'report', scheduledAt: new Date(T + i * 60_000).toISOString(), state: i === 0 ? 'running' : 'succeeded' });
  state.runs.create(app.id, { trigger: 'manual', state: 'succeeded' });
  const dropped = state.runs.prune(app.id, 'report', 20);
  assert.equal(dropped.length, 4);
  assert.ok(dropped.every((r) => r.state === 'succeeded'));
  const left = state.runs.list(app.id, { schedule: 'report', limit: 100 });
  assert.equal(left.length, 21, 'the 20 newest finished ones and the running one');
  assert.ok(left.some((r) => r.state === 'running'), 'the running one stays');
  assert.equal(state.runs.list(app.id, { limit: 100 }).filter((r) => r.trigger === 'manual').length, 1, 'other groups are untouched');
  state.close();
  rmSync(dir, { recursive: true });
});
