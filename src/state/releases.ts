// Releases: immutable, numbered per app; only their status and error change after creation.
// Their config and services (environment values) are sealed at rest (sealer.ts).
import type { AppJson, ImageRef, Release, ReleaseStatus, ServiceSource, ServiceSpec } from '../domain.js';
import { NotFoundError } from '../errors.js';
import { type Db, now } from './db.js';
import { sealContext, type Sealer } from './sealer.js';

interface Raw {
  app_id: number;
  app: string;
  version: number;
  image: string;
  sha: string | null;
  config: string;
  services: string;
  scale: string;
  app_json: string | null;
  release_command: string | null;
  service_source: string | null;
  description: string;
  status: ReleaseStatus;
  error: string | null;
  created_at: string;
}

export type ReleaseRow = Release & { error: string | null };

const toRelease = (r: Raw, sealer: Sealer): ReleaseRow => ({
  app: r.app,
  version: r.version,
  image: JSON.parse(r.image) as ImageRef,
  sha: r.sha,
  config: JSON.parse(sealer.open(r.config, sealContext.releaseConfig(r.app_id, r.version))) as Record<string, string>,
  services: JSON.parse(sealer.open(r.services, sealContext.releaseServices(r.app_id, r.version))) as ServiceSpec[],
  scale: JSON.parse(r.scale) as Record<string, number>,
  appJson: r.app_json ? (JSON.parse(r.app_json) as AppJson) : null,
  releaseCommand: r.release_command,
  serviceSource: r.service_source ? (JSON.parse(r.service_source) as ServiceSource) : null,
  description: r.description,
  status: r.status,
  error: r.error,
  createdAt: r.created_at,
});

const SELECT = 'SELECT r.*, a.name AS app FROM releases r JOIN apps a ON a.id = r.app_id';

export class Releases {
  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
  ) {}

  create(appId: number, r: Omit<Release, 'app' | 'createdAt' | 'status'>): ReleaseRow {
    this.db
      .prepare(
        `INSERT INTO releases (app_id, version, image, sha, config, services, scale, app_json, release_command, service_source, description, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      )
      .run(
        appId,
        r.version,
        JSON.stringify(r.image),
        r.sha,
        this.sealer.seal(JSON.stringify(r.config), sealContext.releaseConfig(appId, r.version)),
        this.sealer.seal(JSON.stringify(r.services), sealContext.releaseServices(appId, r.version)),
        JSON.stringify(r.scale),
        r.appJson ? JSON.stringify(r.appJson) : null,
        r.releaseCommand,
        r.serviceSource ? JSON.stringify(r.serviceSource) : null,
        r.description,
        now(),
      );
    return this.get(appId, r.version);
  }

  list(appId: number): ReleaseRow[] {
    return (this.db.prepare(`${SELECT} WHERE r.app_id = ? ORDER BY r.version DESC`).all(appId) as Raw[]).map((r) => toRelease(r, this.sealer));
  }

  find(appId: number, version: number): ReleaseRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE r.app_id = ? AND r.version = ?`).get(appId, version) as Raw | undefined;
    return r && toRelease(r, this.sealer);
  }

  get(appId: number, version: number): ReleaseRow {
    const r = this.find(appId, version);
    if (!r) throw new NotFoundError(`no release v${version}`);
    return r;
  }

  /** The release now serving: the newest one marked active. */
  current(appId: number): ReleaseRow | undefined {
    const r = this.db
      .prepare(`${SELECT} WHERE r.app_id = ? AND r.status = 'active' ORDER BY r.version DESC LIMIT 1`)
      .get(appId) as Raw | undefined;
    return r && toRelease(r, this.sealer);
  }

  setStatus(appId: number, version: number, status: ReleaseStatus, error: string | null = null): void {
    this.db.prepare('UPDATE releases SET status = ?, error = ? WHERE app_id = ? AND version = ?').run(status, error, appId, version);
  }

  /** Marks `version` active and every other active release of the app superseded. */
  activate(appId: number, version: number): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE releases SET status = 'superseded' WHERE app_id = ? AND status = 'active' AND version != ?`).run(appId, version);
      this.setStatus(appId, version, 'active');
    })();
  }

  /** Whether any release of the app ever served (its first deploy is the one before that). */
  everLive(appId: number): boolean {
    return Boolean(this.db.prepare(`SELECT 1 FROM releases WHERE app_id = ? AND status IN ('active', 'superseded') LIMIT 1`).get(appId));
  }

  /** Deletes releases (retention); their images are the caller's to remove. */
  delete(appId: number, versions: number[]): void {
    const del = this.db.prepare('DELETE FROM releases WHERE app_id = ? AND version = ?');
    this.db.transaction(() => versions.forEach((v) => del.run(appId, v)))();
  }

  /** Releases left `deploying` by a crash. */
  inFlight(): ReleaseRow[] {
    return (this.db.prepare(`${SELECT} WHERE r.status IN ('pending', 'deploying')`).all() as Raw[]).map((r) => toRelease(r, this.sealer));
  }
}
