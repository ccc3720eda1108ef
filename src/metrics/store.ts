// The metrics database (its own SQLite file): one row per container or app backend per sample,
// rolled up into coarser buckets as it ages, pruned by age and held under a size bound. Rows hold
// what happened during their interval (CPU µs, bytes, requests) and gauges averaged over it, so a
// rollup is a sum or a time-weighted mean and a rate at any resolution is value / duration.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BackendStats } from '../proxy/stats.js';
import type { Tier } from './retention.js';

export interface SeriesLabels {
  app: string;
  service: string;
  release: number | null;
  color: string | null;
  /** Container name, or the HAProxy backend. */
  name: string;
}

export interface ContainerRow {
  /** Container id. */
  key: string;
  labels: SeriesLabels;
  /** Length of the interval the row covers, ms. */
  dur: number;
  cpuUs: number;
  mem: number;
  memLimit: number | null;
  ioRead: number;
  ioWrite: number;
  netRx: number;
  netTx: number;
  restarts: number;
}

/** A backend's requests and status classes during the interval; sessions and queue averaged. */
export interface HttpRow extends Omit<BackendStats, 'backend'> {
  /** HAProxy backend (`app_service`). */
  key: string;
  labels: SeriesLabels;
  dur: number;
  /** Response-time percentiles of the requests timed in the interval (ms); null: none. */
  p50: number | null;
  p95: number | null;
  timed: number;
}

export type StoredContainerRow = ContainerRow & { ts: number; series: number };
export type StoredHttpRow = HttpRow & { ts: number; series: number };

const SCHEMA = `
  PRAGMA auto_vacuum = INCREMENTAL;
  CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, app TEXT NOT NULL, service TEXT NOT NULL,
    release INTEGER, color TEXT, name TEXT NOT NULL, last_ts INTEGER NOT NULL, UNIQUE (kind, key));
  CREATE INDEX IF NOT EXISTS series_app ON series (app, kind);
  CREATE TABLE IF NOT EXISTS container_samples (
    tier INTEGER NOT NULL, series INTEGER NOT NULL, ts INTEGER NOT NULL, dur INTEGER NOT NULL,
    cpu INTEGER NOT NULL, mem INTEGER NOT NULL, mem_limit INTEGER, io_read INTEGER NOT NULL, io_write INTEGER NOT NULL,
    net_rx INTEGER NOT NULL, net_tx INTEGER NOT NULL, restarts INTEGER NOT NULL,
    PRIMARY KEY (tier, series, ts)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS http_samples (
    tier INTEGER NOT NULL, series INTEGER NOT NULL, ts INTEGER NOT NULL, dur INTEGER NOT NULL,
    requests INTEGER NOT NULL, r2xx INTEGER NOT NULL, r4xx INTEGER NOT NULL, r5xx INTEGER NOT NULL,
    sessions REAL NOT NULL, queue REAL NOT NULL, p50 REAL, p95 REAL, timed INTEGER NOT NULL,
    PRIMARY KEY (tier, series, ts)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS rolled (tier INTEGER PRIMARY KEY, until INTEGER NOT NULL);
`;

/** Per table: how a rollup bucket is made of the rows below it. */
const ROLLUP_COLUMNS = {
  container_samples:
    'SUM(dur), SUM(cpu), CAST(SUM(mem * dur) / SUM(dur) AS INTEGER), MAX(mem_limit), SUM(io_read), SUM(io_write), SUM(net_rx), SUM(net_tx), MAX(restarts)',
  // Percentiles of a bucket: the mean of its rows' percentiles weighted by requests timed (the
  // rows' histograms are not kept; exact per raw row, an approximation in rollups).
  http_samples:
    'SUM(dur), SUM(requests), SUM(r2xx), SUM(r4xx), SUM(r5xx), SUM(sessions * dur) / SUM(dur), SUM(queue * dur) / SUM(dur), ' +
    'SUM(p50 * timed) / NULLIF(SUM(CASE WHEN p50 IS NULL THEN 0 ELSE timed END), 0), SUM(p95 * timed) / NULLIF(SUM(CASE WHEN p95 IS NULL THEN 0 ELSE timed END), 0), SUM(timed)',
} as const;

type Table = keyof typeof ROLLUP_COLUMNS;

export class MetricsStore {
  readonly db: Database.Database;
  private readonly seriesIds = new Map<string, { id: number; labels: string }>();

  constructor(
    file: string,
    private readonly tiers: Tier[],
    private readonly maxBytes: number,
  ) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Writes one sample of every container and backend, in one transaction. */
  insert(ts: number, containers: ContainerRow[], http: HttpRow[]): void {
    const c = this.db.prepare(
      'INSERT OR REPLACE INTO container_samples VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const h = this.db.prepare('INSERT OR REPLACE INTO http_samples VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of containers)
        c.run(this.series('container', r.key, r.labels, ts), ts, r.dur, Math.round(r.cpuUs), Math.round(r.mem), r.memLimit, r.ioRead, r.ioWrite, r.netRx, r.netTx, r.restarts);
      for (const r of http)
        h.run(this.series('http', r.key, r.labels, ts), ts, r.dur, r.requests, r.r2xx, r.r4xx, r.r5xx, r.sessions, r.queue, r.p50, r.p95, r.timed);
    })();
  }

  /** Rolls finished buckets up, drops what is past its tier's retention, then holds the size bound. */
  maintain(now: number): void {
    this.db.transaction(() => {
      for (const t of this.tiers.slice(1)) for (const table of Object.keys(ROLLUP_COLUMNS) as Table[]) this.rollup(table, t, now);
      for (const t of this.tiers) for (const table of Object.keys(ROLLUP_COLUMNS) as Table[])
        this.db.prepare(`DELETE FROM ${table} WHERE tier = ? AND ts < ?`).run(t.tier, now - t.keepMs);
      const longest = Math.max(...this.tiers.map((t) => t.keepMs));
      this.db.prepare('DELETE FROM series WHERE last_ts < ?').run(now - longest);
    })();
    this.seriesIds.clear();
    this.holdSizeBound();
  }

  /** Bytes the database's pages hold (what is in use, not the freed pages awaiting reuse). */
  sizeBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  containerRows(app: string, opts: { service?: string; since: number; tier: number; keys?: string[] }): StoredContainerRow[] {
    return this.rows('container_samples', 'container', app, opts).map((r) => ({
      ts: r.ts, series: r.series, key: r.key, labels: labelsOf(r), dur: r.dur, cpuUs: r.cpu, mem: r.mem, memLimit: r.mem_limit,
      ioRead: r.io_read, ioWrite: r.io_write, netRx: r.net_rx, netTx: r.net_tx, restarts: r.restarts,
    }));
  }

  httpRows(app: string, opts: { service?: string; since: number; tier: number }): StoredHttpRow[] {
    return this.rows('http_samples', 'http', app, opts).map((r) => ({
      ts: r.ts, series: r.series, key: r.key, labels: labelsOf(r), dur: r.dur, requests: r.requests, r2xx: r.r2xx, r4xx: r.r4xx,
      r5xx: r.r5xx, sessions: r.sessions, queue: r.queue, p50: r.p50, p95: r.p95, timed: r.timed,
    }));
  }

  private rows(table: Table, kind: string, app: string, opts: { service?: string; since: number; tier: number; keys?: string[] }) {
    const where = ['x.tier = ?', 's.app = ?', 's.kind = ?', 'x.ts >= ?'];
    const args: unknown[] = [opts.tier, app, kind, opts.since];
    if (opts.service) {
      where.push('s.service = ?');
      args.push(opts.service);
    }
    if (opts.keys) {
      where.push(`s.key IN (${opts.keys.map(() => '?').join(',') || "''"})`);
      args.push(...opts.keys);
    }
    return this.db.prepare(`SELECT x.*, s.key, s.app, s.service, s.release, s.color, s.name FROM ${table} x JOIN series s ON s.id = x.series WHERE ${where.join(' AND ')} ORDER BY x.ts`).all(...args) as any[];
  }

  private series(kind: string, key: string, labels: SeriesLabels, ts: number): number {
    const json = JSON.stringify(labels);
    const known = this.seriesIds.get(`${kind}:${key}`);
    if (known && known.labels === json) {
      this.db.prepare('UPDATE series SET last_ts = ? WHERE id = ?').run(ts, known.id);
      return known.id;
    }
    const row = this.db
      .prepare(
        `INSERT INTO series (kind, key, app, service, release, color, name, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, key) DO UPDATE SET app = excluded.app, service = excluded.service, release = excluded.release,
           color = excluded.color, name = excluded.name, last_ts = excluded.last_ts RETURNING id`,
      )
      .get(kind, key, labels.app, labels.service, labels.release, labels.color, labels.name, ts) as { id: number };
    this.seriesIds.set(`${kind}:${key}`, { id: row.id, labels: json });
    return row.id;
  }

  private rollup(table: Table, t: Tier, now: number): void {
    const below = this.tiers[t.tier - 1]!;
    const from = (this.db.prepare('SELECT until FROM rolled WHERE tier = ?').get(t.tier) as { until: number } | undefined)?.until ?? 0;
    const to = Math.floor(now / t.bucketMs) * t.bucketMs;
    if (to <= from) return;
    const b = t.bucketMs;
    this.db
      .prepare(
        `INSERT OR REPLACE INTO ${table} SELECT ?, series, (ts / ${b}) * ${b} AS bucket, ${ROLLUP_COLUMNS[table]}
         FROM ${table} WHERE tier = ? AND ts >= ? AND ts < ? GROUP BY series, bucket`,
      )
      .run(t.tier, below.tier, from, to);
    if (table === 'http_samples') this.db.prepare('INSERT OR REPLACE INTO rolled VALUES (?, ?)').run(t.tier, to);
  }

  /** Over the bound: the oldest tenth of the finest tier that has rows goes, until under it. */
  private holdSizeBound(): void {
    for (let i = 0; i < 50 && this.sizeBytes() > this.maxBytes; i++) {
      let dropped = false;
      for (const t of this.tiers) {
        const span = this.db.prepare('SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM container_samples WHERE tier = ?').get(t.tier) as { lo: number | null; hi: number | null };
        if (span.lo === null || span.hi === null) continue;
        const cut = span.lo + Math.max(1, Math.ceil((span.hi - span.lo) / 10));
        for (const table of Object.keys(ROLLUP_COLUMNS)) this.db.prepare(`DELETE FROM ${table} WHERE tier = ? AND ts < ?`).run(t.tier, cut);
        dropped = true;
        break;
      }
      if (!dropped) break;
    }
    this.db.pragma('incremental_vacuum');
  }
}

function labelsOf(r: { app: string; service: string; release: number | null; color: string | null; name: string }): SeriesLabels {
  return { app: r.app, service: r.service, release: r.release, color: r.color, name: r.name };
}
