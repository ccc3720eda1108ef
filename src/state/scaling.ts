// Autoscaling state: settings from `slipway autoscale:set` (per app and service), the replica
// count a service runs after in-place changes (per release: a new release starts with it), and
// the record of every change with the figures that caused it.
import { type Db, now } from './db.js';

export interface ScaleEvent {
  id: number;
  service: string;
  release: number;
  from: number;
  to: number;
  reason: string;
  /** The averages the decision saw (cpu %, memory %, replicas counted…). */
  metrics: Record<string, number | null>;
  outcome: 'done' | 'failed';
  error: string | null;
  createdAt: string;
}

interface RawEvent {
  id: number;
  service: string;
  release_version: number;
  from_replicas: number;
  to_replicas: number;
  reason: string;
  metrics: string;
  outcome: 'done' | 'failed';
  error: string | null;
  created_at: string;
}

export class Scaling {
  constructor(private readonly db: Db) {}

  /** service → key → value, as set with the CLI. */
  settings(appId: number): Record<string, Record<string, number>> {
    const rows = this.db.prepare('SELECT service, settings FROM autoscale_settings WHERE app_id = ?').all(appId) as { service: string; settings: string }[];
    return Object.fromEntries(rows.map((r) => [r.service, JSON.parse(r.settings) as Record<string, number>]));
  }

  /** Stores a service's CLI settings whole (none left: removed). */
  putSettings(appId: number, service: string, settings: Record<string, number>): void {
    if (!Object.keys(settings).length) this.db.prepare('DELETE FROM autoscale_settings WHERE app_id = ? AND service = ?').run(appId, service);
    else
      this.db
        .prepare('INSERT INTO autoscale_settings VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at')
        .run(appId, service, JSON.stringify(settings), now());
  }

  /** Replicas changed in place since `release` rolled out, by service. */
  replicas(appId: number, release: number): Record<string, number> {
    const rows = this.db.prepare('SELECT service, replicas FROM service_replicas WHERE app_id = ? AND release_version = ?').all(appId, release) as { service: string; replicas: number }[];
    return Object.fromEntries(rows.map((r) => [r.service, r.replicas]));
  }

  setReplicas(appId: number, release: number, service: string, replicas: number): void {
    this.db
      .prepare('INSERT INTO service_replicas VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET replicas = excluded.replicas, updated_at = excluded.updated_at')
      .run(appId, release, service, replicas, now());
  }

  recordEvent(appId: number, e: Omit<ScaleEvent, 'id' | 'createdAt'>): void {
    this.db
      .prepare(
        `INSERT INTO autoscale_events (app_id, service, release_version, from_replicas, to_replicas, reason, metrics, outcome, error, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(appId, e.service, e.release, e.from, e.to, e.reason, JSON.stringify(e.metrics), e.outcome, e.error, now());
  }

  events(appId: number, limit = 20): ScaleEvent[] {
    return (this.db.prepare('SELECT * FROM autoscale_events WHERE app_id = ? ORDER BY id DESC LIMIT ?').all(appId, limit) as RawEvent[]).map((r) => ({
      id: r.id,
      service: r.service,
      release: r.release_version,
      from: r.from_replicas,
      to: r.to_replicas,
      reason: r.reason,
      metrics: JSON.parse(r.metrics) as Record<string, number | null>,
      outcome: r.outcome,
      error: r.error,
      createdAt: r.created_at,
    }));
  }

  /** When the service's replicas last changed in place (ms), for the cool-down across restarts. */
  lastChangeAt(appId: number, service: string): number | null {
    const r = this.db.prepare(`SELECT created_at FROM autoscale_events WHERE app_id = ? AND service = ? AND outcome = 'done' ORDER BY id DESC LIMIT 1`).get(appId, service) as
      | { created_at: string }
      | undefined;
    return r ? Date.parse(r.created_at) : null;
  }
}
