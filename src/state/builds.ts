// Builds: one per built revision, with the path of its stored output.
import { type Db, now } from './db.js';

export interface BuildRow {
  id: number;
  app: string;
  sha: string;
  ref: string;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  buildpack: string | null;
  imageId: string | null;
  logPath: string;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

interface Raw {
  id: number;
  app: string;
  sha: string;
  ref: string;
  status: BuildRow['status'];
  buildpack: string | null;
  image_id: string | null;
  log_path: string;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

const toBuild = (r: Raw): BuildRow => ({
  id: r.id,
  app: r.app,
  sha: r.sha,
  ref: r.ref,
  status: r.status,
  buildpack: r.buildpack,
  imageId: r.image_id,
  logPath: r.log_path,
  error: r.error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

const SELECT = 'SELECT b.*, a.name AS app FROM builds b JOIN apps a ON a.id = b.app_id';

export class Builds {
  constructor(private readonly db: Db) {}

  start(appId: number, sha: string, ref: string, logPathFor: (id: number) => string): BuildRow {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(`INSERT INTO builds (app_id, sha, ref, status, log_path, created_at) VALUES (?, ?, ?, 'running', '', ?)`)
          .run(appId, sha, ref, now()).lastInsertRowid,
      );
      this.db.prepare('UPDATE builds SET log_path = ? WHERE id = ?').run(logPathFor(id), id);
      return this.get(appId, id);
    })();
  }

  finish(id: number, result: { status: 'succeeded' | 'failed'; buildpack?: string | null; imageId?: string; error?: string }): void {
    this.db
      .prepare('UPDATE builds SET status = ?, buildpack = ?, image_id = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(result.status, result.buildpack ?? null, result.imageId ?? null, result.error ?? null, now(), id);
  }

  list(appId: number, limit = 50): BuildRow[] {
    return (this.db.prepare(`${SELECT} WHERE b.app_id = ? ORDER BY b.id DESC LIMIT ?`).all(appId, limit) as Raw[]).map(toBuild);
  }

  get(appId: number, id: number): BuildRow {
    const r = this.db.prepare(`${SELECT} WHERE b.app_id = ? AND b.id = ?`).get(appId, id) as Raw | undefined;
    if (!r) throw new Error(`no build ${id}`);
    return toBuild(r);
  }

  find(appId: number, id: number): BuildRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE b.app_id = ? AND b.id = ?`).get(appId, id) as Raw | undefined;
    return r && toBuild(r);
  }

  /** Every build of the app (retention and teardown remove their logs). */
  all(appId: number): BuildRow[] {
    return (this.db.prepare(`${SELECT} WHERE b.app_id = ? ORDER BY b.id`).all(appId) as Raw[]).map(toBuild);
  }

  delete(ids: number[]): void {
    const del = this.db.prepare('DELETE FROM builds WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => del.run(id)))();
  }

  markInterrupted(): number {
    return this.db
      .prepare(`UPDATE builds SET status = 'interrupted', error = 'Slipway stopped during the build', finished_at = ? WHERE status = 'running'`)
      .run(now()).changes;
  }
}
