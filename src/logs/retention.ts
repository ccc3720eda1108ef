// Log retention over the store's SQLite file: each app within its own age and size limits (so
// one noisy app evicts only its own lines), then the whole store under its size cap, oldest
// first. Sizes per app are kept as they are written (app_usage: line text + a fixed overhead
// per line), so a prune never scans the table to measure an app.
import type Database from 'better-sqlite3';
import { isoNano } from './entry.js';

/** Bytes counted per line besides its text: timestamp, names, row and index overhead (about). */
export const LINE_OVERHEAD = 64;
const CHUNK = 5000;

export interface AppRetention {
  /** Lines older than this go (0: no age limit). */
  maxAgeDays: number;
  /** The app's lines are trimmed, oldest first, to about this many bytes. */
  maxBytes: number;
}

export interface RetentionLimits {
  /** The whole store, in database pages in use. */
  maxBytes: number;
  app(app: string): AppRetention;
}

/** Removes what the limits say must go; small transactions, so shipping is never held up long. */
export function pruneLines(db: Database.Database, now: Date, limits: RetentionLimits, usedBytes: () => number): number {
  let removed = 0;
  const charge = db.prepare('UPDATE app_usage SET bytes = max(0, bytes - ?) WHERE app = ?');
  const drop = (app: string, rows: { n: number }[]) => {
    const freed = rows.reduce((a, r) => a + r.n + LINE_OVERHEAD, 0);
    if (freed) charge.run(freed, app);
    removed += rows.length;
    return freed;
  };
  // Per app, on the (app, ts) index: a second index on ts alone would tax every insert.
  const tooOld = db.prepare('DELETE FROM lines WHERE id IN (SELECT id FROM lines WHERE app = ? AND ts < ? LIMIT ?) RETURNING length(line) AS n');
  const oldestOf = db.prepare('DELETE FROM lines WHERE id IN (SELECT id FROM lines WHERE app = ? ORDER BY ts, id LIMIT ?) RETURNING length(line) AS n');
  for (const { app, bytes } of db.prepare('SELECT app, bytes FROM app_usage').all() as { app: string; bytes: number }[]) {
    const limit = limits.app(app);
    let used = bytes;
    if (limit.maxAgeDays > 0) {
      const cutoff = isoNano(new Date(now.getTime() - limit.maxAgeDays * 86_400_000));
      for (let rows = CHUNK; rows === CHUNK; ) {
        const gone = tooOld.all(app, cutoff, CHUNK) as { n: number }[];
        used -= drop(app, gone);
        rows = gone.length;
      }
    }
    // Lines enough to cover the excess at the average size seen so far (a guess at first).
    let average = LINE_OVERHEAD + 100;
    while (used > limit.maxBytes) {
      const want = Math.min(CHUNK, Math.max(1, Math.ceil((used - limit.maxBytes) / average)));
      const gone = oldestOf.all(app, want) as { n: number }[];
      if (gone.length === 0) break;
      const freed = drop(app, gone);
      used -= freed;
      average = freed / gone.length;
    }
  }
  const oldest = db.prepare('DELETE FROM lines WHERE id IN (SELECT id FROM lines ORDER BY id LIMIT ?) RETURNING app, length(line) AS n');
  while (usedBytes() > limits.maxBytes) {
    const gone = oldest.all(CHUNK) as { app: string; n: number }[];
    if (gone.length === 0) break;
    const byApp = new Map<string, { n: number }[]>();
    for (const r of gone) byApp.set(r.app, [...(byApp.get(r.app) ?? []), r]);
    for (const [app, rows] of byApp) drop(app, rows);
  }
  if (removed) forgetBlocks(db);
  return removed;
}

/** Every line of `app`, its size count, and the search blocks left with no line at all. */
export function deleteApp(db: Database.Database, app: string): number {
  let removed = 0;
  const del = db.prepare('DELETE FROM lines WHERE id IN (SELECT id FROM lines WHERE app = ? LIMIT ?)');
  for (let n = CHUNK; n === CHUNK; removed += n) n = del.run(app, CHUNK).changes;
  db.prepare('DELETE FROM app_usage WHERE app = ?').run(app);
  db.transaction(() => {
    const empty = 'SELECT id FROM blocks b WHERE NOT EXISTS (SELECT 1 FROM lines l WHERE l.id BETWEEN b.first_id AND b.last_id)';
    db.prepare(`DELETE FROM blocks_fts WHERE rowid IN (${empty})`).run();
    db.prepare(`DELETE FROM blocks WHERE id IN (${empty})`).run();
  })();
  db.pragma('incremental_vacuum');
  return removed;
}

/** Blocks wholly before the oldest line left are gone from the search index too. */
function forgetBlocks(db: Database.Database): void {
  const first = (db.prepare('SELECT min(id) AS id FROM lines').get() as { id: number | null }).id ?? Number.MAX_SAFE_INTEGER;
  db.transaction(() => {
    db.prepare('DELETE FROM blocks_fts WHERE rowid IN (SELECT id FROM blocks WHERE last_id < ?)').run(first);
    db.prepare('DELETE FROM blocks WHERE last_id < ?').run(first);
  })();
  db.pragma('incremental_vacuum');
}
