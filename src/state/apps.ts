// Apps and their config vars; config values and webhook secrets are sealed at rest (sealer.ts).
import { randomBytes } from 'node:crypto';
import { APP_NAME_RULE, isValidAppName } from '../domain.js';
import { NotFoundError, UserError } from '../errors.js';
import type { Changes } from './changes.js';
import { type Db, now } from './db.js';
import { sealContext, type Sealer } from './sealer.js';

export interface AppRow {
  id: number;
  name: string;
  deployBranch: string;
  dockerfilePath: string;
  repoUrl: string | null;
  repoBranch: string | null;
  /** Encrypted (see source/secrets) — never returned by the API. */
  repoCredential: string | null;
  webhookSecret: string;
  /** The app's own log retention; null means the server's per-app default. */
  logRetentionMb: number | null;
  logRetentionDays: number | null;
  createdAt: string;
}

interface Raw {
  id: number;
  name: string;
  deploy_branch: string;
  dockerfile_path: string;
  repo_url: string | null;
  repo_branch: string | null;
  repo_credential: string | null;
  webhook_secret: string | null;
  log_retention_mb: number | null;
  log_retention_days: number | null;
  created_at: string;
}

export class Apps {
  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
    private readonly changes?: Changes,
  ) {}

  private toApp(r: Raw): AppRow {
    return {
      id: r.id,
      name: r.name,
      deployBranch: r.deploy_branch,
      dockerfilePath: r.dockerfile_path,
      repoUrl: r.repo_url,
      repoBranch: r.repo_branch,
      repoCredential: r.repo_credential,
      webhookSecret: r.webhook_secret ? this.sealer.open(r.webhook_secret, sealContext.webhookSecret(r.id)) : '',
      logRetentionMb: r.log_retention_mb,
      logRetentionDays: r.log_retention_days,
      createdAt: r.created_at,
    };
  }

  create(name: string): AppRow {
    if (!isValidAppName(name)) throw new UserError(`invalid app name ${JSON.stringify(name)}: ${APP_NAME_RULE}`, 422);
    if (this.find(name)) throw new UserError(`app ${name} already exists`, 409);
    const secret = randomBytes(24).toString('hex');
    this.db.transaction(() => {
      const { lastInsertRowid } = this.db.prepare('INSERT INTO apps (name, created_at) VALUES (?, ?)').run(name, now());
      const id = Number(lastInsertRowid);
      this.db.prepare('UPDATE apps SET webhook_secret = ? WHERE id = ?').run(this.sealer.seal(secret, sealContext.webhookSecret(id)), id);
    })();
    this.changes?.emit({ kind: 'app', app: name, change: 'created' });
    return this.get(name);
  }

  list(): AppRow[] {
    return (this.db.prepare('SELECT * FROM apps ORDER BY name').all() as Raw[]).map((r) => this.toApp(r));
  }

  find(name: string): AppRow | undefined {
    const r = this.db.prepare('SELECT * FROM apps WHERE name = ?').get(name) as Raw | undefined;
    return r && this.toApp(r);
  }

  get(name: string): AppRow {
    const app = this.find(name);
    if (!app) throw new NotFoundError(`no app named ${JSON.stringify(name)}`);
    return app;
  }

  byId(id: number): AppRow {
    const r = this.db.prepare('SELECT * FROM apps WHERE id = ?').get(id) as Raw | undefined;
    if (!r) throw new NotFoundError(`no app with id ${id}`);
    return this.toApp(r);
  }

  destroy(name: string): void {
    const app = this.get(name);
    this.db.prepare('DELETE FROM apps WHERE id = ?').run(app.id);
    this.changes?.emit({ kind: 'app', app: name, change: 'destroyed' });
  }

  update(
    name: string,
    fields: Partial<Pick<AppRow, 'deployBranch' | 'dockerfilePath' | 'repoUrl' | 'repoBranch' | 'repoCredential' | 'logRetentionMb' | 'logRetentionDays'>>,
  ): AppRow {
    const app = this.get(name);
    const cols: Record<string, string> = {
      deployBranch: 'deploy_branch',
      dockerfilePath: 'dockerfile_path',
      repoUrl: 'repo_url',
      repoBranch: 'repo_branch',
      repoCredential: 'repo_credential',
      logRetentionMb: 'log_retention_mb',
      logRetentionDays: 'log_retention_days',
    };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      this.db.prepare(`UPDATE apps SET ${cols[k]} = ? WHERE id = ?`).run(v, app.id);
    }
    return this.get(name);
  }

  /** Takes the next release number; numbers are never reused, even after a failed deploy. */
  nextVersion(appId: number): number {
    return this.db.transaction(() => {
      const r = this.db.prepare('SELECT next_version FROM apps WHERE id = ?').get(appId) as { next_version: number };
      this.db.prepare('UPDATE apps SET next_version = next_version + 1 WHERE id = ?').run(appId);
      return r.next_version;
    })();
  }

  config(appId: number): Record<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM config_vars WHERE app_id = ? ORDER BY key').all(appId) as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, this.sealer.open(r.value, sealContext.configVar(appId, r.key))]));
  }

  /** Sets (value string) or unsets (value null) config vars in one transaction. */
  setConfig(appId: number, changes: Record<string, string | null>): Record<string, string> {
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) this.db.prepare('DELETE FROM config_vars WHERE app_id = ? AND key = ?').run(appId, k);
        else
          this.db
            .prepare('INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')
            .run(appId, k, this.sealer.seal(v, sealContext.configVar(appId, k)));
      }
    })();
    return this.config(appId);
  }

  /** Replicas saved with `scale --no-deploy`, applied by the next deploy; null when none. */
  pendingScale(appId: number): Record<string, number> | null {
    const r = this.db.prepare('SELECT pending_scale FROM apps WHERE id = ?').get(appId) as { pending_scale: string | null } | undefined;
    return r?.pending_scale ? (JSON.parse(r.pending_scale) as Record<string, number>) : null;
  }

  /** Adds to the saved replicas (null clears them). */
  savePendingScale(appId: number, scale: Record<string, number> | null): void {
    const next = scale === null ? null : JSON.stringify({ ...this.pendingScale(appId), ...scale });
    this.db.prepare('UPDATE apps SET pending_scale = ? WHERE id = ?').run(next, appId);
  }

  event(appId: number | null, kind: string, message: string): void {
    this.db.prepare('INSERT INTO events (app_id, kind, message, created_at) VALUES (?, ?, ?, ?)').run(appId, kind, message, now());
  }
}
