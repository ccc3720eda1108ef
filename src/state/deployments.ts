// Deployments: each attempt to change what an app runs (push, webhook, rollback, config, scale),
// with its trigger and outcome. The queue drives their state.
import type { Trigger } from '../domain.js';
import { NotFoundError } from '../errors.js';
import type { Changes } from './changes.js';
import { type Db, now } from './db.js';

export type DeploymentStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'superseded' | 'interrupted';

export interface DeploymentRow {
  id: number;
  app: string;
  appId: number;
  trigger: Trigger;
  sha: string | null;
  ref: string | null;
  status: DeploymentStatus;
  releaseVersion: number | null;
  buildId: number | null;
  error: string | null;
  /** Trigger-specific parameters (rollback target, scale, upload path, repo url…). */
  params: Record<string, unknown>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Raw {
  id: number;
  app: string;
  app_id: number;
  trigger: Trigger;
  sha: string | null;
  ref: string | null;
  status: DeploymentStatus;
  release_version: number | null;
  build_id: number | null;
  error: string | null;
  params: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const toDeployment = (r: Raw): DeploymentRow => ({
  id: r.id,
  app: r.app,
  appId: r.app_id,
  trigger: r.trigger,
  sha: r.sha,
  ref: r.ref,
  status: r.status,
  releaseVersion: r.release_version,
  buildId: r.build_id,
  error: r.error,
  params: r.params ? (JSON.parse(r.params) as Record<string, unknown>) : {},
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const SELECT = 'SELECT d.*, a.name AS app FROM deployments d JOIN apps a ON a.id = d.app_id';

export class Deployments {
  constructor(
    private readonly db: Db,
    private readonly changes?: Changes,
  ) {}

  private told(d: DeploymentRow): DeploymentRow {
    this.changes?.emit({ kind: 'deployment', app: d.app, id: d.id, trigger: d.trigger, status: d.status, releaseVersion: d.releaseVersion });
    return d;
  }

  create(appId: number, d: { trigger: Trigger; sha?: string | null; ref?: string | null; params?: Record<string, unknown> }): DeploymentRow {
    const id = Number(
      this.db
        .prepare(`INSERT INTO deployments (app_id, trigger, sha, ref, status, params, created_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)`)
        .run(appId, d.trigger, d.sha ?? null, d.ref ?? null, JSON.stringify(d.params ?? {}), now()).lastInsertRowid,
    );
    return this.told(this.get(id));
  }

  has(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM deployments WHERE id = ?').get(id) !== undefined;
  }

  get(id: number): DeploymentRow {
    const r = this.db.prepare(`${SELECT} WHERE d.id = ?`).get(id) as Raw | undefined;
    if (!r) throw new NotFoundError(`no deployment ${id}`);
    return toDeployment(r);
  }

  list(appId: number, limit = 50): DeploymentRow[] {
    return (this.db.prepare(`${SELECT} WHERE d.app_id = ? ORDER BY d.id DESC LIMIT ?`).all(appId, limit) as Raw[]).map(toDeployment);
  }

  /** Every deployment of the app, oldest first (retention reads them all). */
  all(appId: number): DeploymentRow[] {
    return (this.db.prepare(`${SELECT} WHERE d.app_id = ? ORDER BY d.id`).all(appId) as Raw[]).map(toDeployment);
  }

  delete(ids: number[]): void {
    const del = this.db.prepare('DELETE FROM deployments WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => del.run(id)))();
  }

  /** A queued code deploy of the same app newer than `id`, which makes `id` superseded. */
  newerQueuedCodeDeploy(appId: number, id: number): DeploymentRow | undefined {
    const r = this.db
      .prepare(`${SELECT} WHERE d.app_id = ? AND d.id > ? AND d.status = 'queued' AND d.trigger IN ('push', 'webhook', 'cli') ORDER BY d.id DESC LIMIT 1`)
      .get(appId, id) as Raw | undefined;
    return r && toDeployment(r);
  }

  /** A newer deployment of the app that changes its code (push, webhook, upload, rollback) and has
   *  started — running, or ended in any way: running `id` after it would put older code back. */
  newerStartedCodeChange(appId: number, id: number): DeploymentRow | undefined {
    const r = this.db
      .prepare(
        `${SELECT} WHERE d.app_id = ? AND d.id > ? AND d.started_at IS NOT NULL AND d.trigger IN ('push', 'webhook', 'cli', 'rollback') ORDER BY d.id DESC LIMIT 1`,
      )
      .get(appId, id) as Raw | undefined;
    return r && toDeployment(r);
  }

  update(id: number, fields: Partial<Pick<DeploymentRow, 'status' | 'releaseVersion' | 'buildId' | 'error' | 'sha'>>): void {
    const cols: Record<string, string> = { status: 'status', releaseVersion: 'release_version', buildId: 'build_id', error: 'error', sha: 'sha' };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      this.db.prepare(`UPDATE deployments SET ${cols[k]} = ? WHERE id = ?`).run(v, id);
    }
    if (fields.status === 'running') this.db.prepare('UPDATE deployments SET started_at = ? WHERE id = ?').run(now(), id);
    if (fields.status && !['queued', 'running'].includes(fields.status))
      this.db.prepare('UPDATE deployments SET finished_at = ? WHERE id = ?').run(now(), id);
    if (fields.status !== undefined || fields.releaseVersion !== undefined) this.told(this.get(id));
  }

  /** The newest deployment of every app (for the apps list), by app id. */
  latestPerApp(): Map<number, DeploymentRow> {
    const rows = this.db.prepare(`${SELECT} WHERE d.id IN (SELECT MAX(id) FROM deployments GROUP BY app_id)`).all() as Raw[];
    return new Map(rows.map((r) => [r.app_id, toDeployment(r)]));
  }

  /** Deployments a crash left running; they are marked interrupted at start-up. */
  running(): DeploymentRow[] {
    return (this.db.prepare(`${SELECT} WHERE d.status = 'running'`).all() as Raw[]).map(toDeployment);
  }

  /** Counts by trigger and outcome, and how long finished ones took (seconds), for /metrics. */
  summary(): { deploys: { trigger: string; status: string; count: number }[]; durations: number[]; queued: number; running: number } {
    const deploys = this.db.prepare('SELECT trigger, status, COUNT(*) AS count FROM deployments GROUP BY trigger, status').all() as { trigger: string; status: string; count: number }[];
    const durations = (
      this.db
        .prepare(`SELECT (julianday(finished_at) - julianday(started_at)) * 86400 AS s FROM deployments WHERE started_at IS NOT NULL AND finished_at IS NOT NULL`)
        .all() as { s: number }[]
    ).map((r) => Math.max(0, r.s));
    const count = (status: string) => deploys.filter((d) => d.status === status).reduce((a, d) => a + d.count, 0);
    return { deploys, durations, queued: count('queued'), running: count('running') };
  }

  /** Whether the app has a deployment queued or running (the autoscaler waits for it). */
  busy(appId: number): boolean {
    return this.db.prepare(`SELECT 1 FROM deployments WHERE app_id = ? AND status IN ('queued', 'running') LIMIT 1`).get(appId) !== undefined;
  }

  queued(): DeploymentRow[] {
    return (this.db.prepare(`${SELECT} WHERE d.status = 'queued' ORDER BY d.id`).all() as Raw[]).map(toDeployment);
  }
}
