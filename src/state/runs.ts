// Job runs and schedule bookkeeping. A scheduled tick is inserted once: (app, schedule,
// scheduled_at) is UNIQUE, and the insert happens in an IMMEDIATE transaction with the move of
// the schedule's `through` mark, so two processes on one data dir, or one restarted, never run
// the same scheduled time twice.
import type { RunDetail, RunRow, RunState, RunTrigger } from '../jobs/model.js';
import { NotFoundError } from '../errors.js';
import { type Db, now } from './db.js';

interface Raw {
  id: number;
  app: string;
  app_id: number;
  trigger: RunTrigger;
  schedule: string | null;
  scheduled_at: string | null;
  task: string | null;
  release_version: number | null;
  image_digest: string | null;
  state: RunState;
  reason: string | null;
  owner: string | null;
  cancel_requested: number;
  detail: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const toRun = (r: Raw): RunRow => ({
  id: r.id,
  app: r.app,
  appId: r.app_id,
  trigger: r.trigger,
  schedule: r.schedule,
  scheduledAt: r.scheduled_at,
  task: r.task,
  release: r.release_version,
  imageDigest: r.image_digest,
  state: r.state,
  reason: r.reason,
  owner: r.owner,
  cancelRequested: r.cancel_requested === 1,
  detail: JSON.parse(r.detail) as RunDetail,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const SELECT = 'SELECT j.*, a.name AS app FROM job_runs j JOIN apps a ON a.id = j.app_id';

export interface NewRun {
  trigger: RunTrigger;
  schedule?: string | null;
  scheduledAt?: string | null;
  task?: string | null;
  release?: number | null;
  imageDigest?: string | null;
  state: RunState;
  reason?: string | null;
  owner?: string | null;
  detail?: RunDetail;
}

export interface ScheduleMark {
  name: string;
  /** The newest tick decided on (ran, skipped or missed). */
  through: string;
  suspended: boolean;
}

export class Runs {
  constructor(private readonly db: Db) {}

  /** Inserts a run; null when its scheduled tick already has one (it ran, or was decided on). */
  create(appId: number, r: NewRun): RunRow | null {
    const final = r.state !== 'running';
    const at = now();
    const res = this.db
      .prepare(
        `INSERT OR IGNORE INTO job_runs (app_id, trigger, schedule, scheduled_at, task, release_version, image_digest, state, reason, owner, detail, created_at, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(appId, r.trigger, r.schedule ?? null, r.scheduledAt ?? null, r.task ?? null, r.release ?? null, r.imageDigest ?? null, r.state, r.reason ?? null,
        r.owner ?? null, JSON.stringify(r.detail ?? { tasks: [] }), at, final ? null : at, final ? at : null);
    return res.changes ? this.get(Number(res.lastInsertRowid)) : null;
  }

  get(id: number): RunRow {
    const r = this.db.prepare(`${SELECT} WHERE j.id = ?`).get(id) as Raw | undefined;
    if (!r) throw new NotFoundError(`no run ${id}`);
    return toRun(r);
  }

  find(appId: number, id: number): RunRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE j.app_id = ? AND j.id = ?`).get(appId, id) as Raw | undefined;
    return r && toRun(r);
  }

  list(appId: number, opts: { limit?: number; schedule?: string } = {}): RunRow[] {
    const where = opts.schedule === undefined ? '' : ' AND j.schedule = ?';
    const params: unknown[] = opts.schedule === undefined ? [appId] : [appId, opts.schedule];
    return (this.db.prepare(`${SELECT} WHERE j.app_id = ?${where} ORDER BY j.id DESC LIMIT ?`).all(...params, opts.limit ?? 50) as Raw[]).map(toRun);
  }

  /** Runs going on (all apps, or one app's schedule). */
  running(appId?: number, schedule?: string): RunRow[] {
    if (appId === undefined) return (this.db.prepare(`${SELECT} WHERE j.state = 'running'`).all() as Raw[]).map(toRun);
    return (this.db.prepare(`${SELECT} WHERE j.state = 'running' AND j.app_id = ? AND j.schedule IS ?`).all(appId, schedule ?? null) as Raw[]).map(toRun);
  }

  saveDetail(id: number, detail: RunDetail): void {
    this.db.prepare('UPDATE job_runs SET detail = ? WHERE id = ?').run(JSON.stringify(detail), id);
  }

  finish(id: number, state: RunState, reason: string | null, detail?: RunDetail): void {
    const sets = detail ? ', detail = ?' : '';
    const params: unknown[] = [state, reason, now()];
    if (detail) params.push(JSON.stringify(detail));
    this.db.prepare(`UPDATE job_runs SET state = ?, reason = ?, finished_at = ?${sets} WHERE id = ?`).run(...params, id);
  }

  requestCancel(id: number): void {
    this.db.prepare('UPDATE job_runs SET cancel_requested = 1 WHERE id = ?').run(id);
  }

  cancelRequested(id: number): boolean {
    return (this.db.prepare('SELECT cancel_requested AS c FROM job_runs WHERE id = ?').get(id) as { c: number } | undefined)?.c === 1;
  }

  /** Drops the oldest finished runs of a schedule (null: manual and deploy runs) beyond `keep`; returns them. */
  prune(appId: number, schedule: string | null, keep: number): RunRow[] {
    const old = (this.db
      .prepare(`${SELECT} WHERE j.app_id = ? AND j.schedule IS ? AND j.state != 'running' ORDER BY j.id DESC LIMIT -1 OFFSET ?`)
      .all(appId, schedule, keep) as Raw[]).map(toRun);
    const del = this.db.prepare('DELETE FROM job_runs WHERE id = ?');
    this.db.transaction(() => old.forEach((r) => del.run(r.id)))();
    return old;
  }

  /** One decision per tick across processes: `fn` runs in an IMMEDIATE (write-locked) transaction. */
  exclusive<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  schedules(appId: number): ScheduleMark[] {
    return (this.db.prepare('SELECT name, through, suspended FROM job_schedules WHERE app_id = ? ORDER BY name').all(appId) as { name: string; through: string; suspended: number }[])
      .map((r) => ({ name: r.name, through: r.through, suspended: r.suspended === 1 }));
  }

  /** The schedule's mark, created at `start` (ticks before a schedule is first seen never run). */
  mark(appId: number, name: string, start: string): ScheduleMark {
    this.db.prepare('INSERT OR IGNORE INTO job_schedules (app_id, name, through) VALUES (?, ?, ?)').run(appId, name, start);
    const r = this.db.prepare('SELECT name, through, suspended FROM job_schedules WHERE app_id = ? AND name = ?').get(appId, name) as { name: string; through: string; suspended: number };
    return { name: r.name, through: r.through, suspended: r.suspended === 1 };
  }

  setThrough(appId: number, name: string, through: string): void {
    this.db.prepare('UPDATE job_schedules SET through = ? WHERE app_id = ? AND name = ? AND through < ?').run(through, appId, name, through);
  }

  setSuspended(appId: number, name: string, suspended: boolean, start: string): void {
    this.mark(appId, name, start);
    // Resuming moves the mark to now: ticks that passed while suspended are not run late.
    if (suspended) this.db.prepare('UPDATE job_schedules SET suspended = 1 WHERE app_id = ? AND name = ?').run(appId, name);
    else this.db.prepare('UPDATE job_schedules SET suspended = 0, through = max(through, ?) WHERE app_id = ? AND name = ?').run(start, appId, name);
  }
}
