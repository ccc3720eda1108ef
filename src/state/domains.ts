// Custom domains: each name belongs to one app (or, with no app, to Slipway's own API), and
// each app's certs:auto choice (null: follow the server's default).
import { type Db, now } from './db.js';

export interface DomainRow {
  name: string;
  /** null: Slipway's API domain (SLIPWAY_API_DOMAIN). */
  app: string | null;
  createdAt: string;
}

interface Raw {
  name: string;
  app: string | null;
  created_at: string;
}

const toRow = (r: Raw): DomainRow => ({ name: r.name, app: r.app, createdAt: r.created_at });
const SELECT = 'SELECT d.name, a.name AS app, d.created_at FROM domains d LEFT JOIN apps a ON a.id = d.app_id';

export class Domains {
  constructor(private readonly db: Db) {}

  /** Adds the name for the app; returns the row that holds it (another owner's, when taken). */
  add(name: string, appId: number | null): DomainRow {
    this.db.prepare('INSERT INTO domains (name, app_id, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, appId, now());
    return this.find(name)!;
  }

  find(name: string): DomainRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE d.name = ?`).get(name) as Raw | undefined;
    return r && toRow(r);
  }

  /** The app's names, sorted. */
  ofApp(appId: number): string[] {
    return (this.db.prepare('SELECT name FROM domains WHERE app_id = ? ORDER BY name').all(appId) as { name: string }[]).map((r) => r.name);
  }

  /** Slipway's own (API) names. */
  system(): string[] {
    return (this.db.prepare('SELECT name FROM domains WHERE app_id IS NULL ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  all(): DomainRow[] {
    return (this.db.prepare(`${SELECT} ORDER BY d.name`).all() as Raw[]).map(toRow);
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM domains WHERE name = ?').run(name).changes > 0;
  }

  /** The app's certs:auto choice, or null when it never made one. */
  certsAuto(appId: number): boolean | null {
    const r = this.db.prepare('SELECT certs_auto FROM tls_settings WHERE app_id = ?').get(appId) as { certs_auto: number } | undefined;
    return r ? r.certs_auto === 1 : null;
  }

  setCertsAuto(appId: number, on: boolean): void {
    this.db
      .prepare('INSERT INTO tls_settings (app_id, certs_auto) VALUES (?, ?) ON CONFLICT (app_id) DO UPDATE SET certs_auto = excluded.certs_auto')
      .run(appId, on ? 1 : 0);
  }
}
