// Numbered schema migrations: append only, never edit one that has shipped. A step is SQL, or
// a function for what SQL cannot do (encrypting existing rows).
import type Database from 'better-sqlite3';
import { sealContext, type Sealer } from './sealer.js';

export interface MigrationContext {
  sealer: Sealer;
}

type Step = string | ((db: Database.Database, ctx: MigrationContext) => void);

export const MIGRATIONS: Step[] = [
  // 1: the foundation
  `
  CREATE TABLE apps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    deploy_branch TEXT NOT NULL DEFAULT 'main',
    dockerfile_path TEXT NOT NULL DEFAULT 'Dockerfile',
    next_version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
  );
  CREATE TABLE config_vars (
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (app_id, key)
  );
  CREATE TABLE builds (
    id INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    sha TEXT NOT NULL,
    ref TEXT NOT NULL,
    status TEXT NOT NULL,
    buildpack TEXT,
    image_id TEXT,
    log_path TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    image TEXT NOT NULL,
    sha TEXT,
    config TEXT NOT NULL,
    services TEXT NOT NULL,
    scale TEXT NOT NULL,
    app_json TEXT,
    release_command TEXT,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (app_id, version)
  );
  CREATE TABLE deployments (
    id INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    sha TEXT,
    ref TEXT,
    status TEXT NOT NULL,
    release_version INTEGER,
    build_id INTEGER,
    error TEXT,
    params TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX deployments_app ON deployments (app_id, id);
  CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    app_id INTEGER REFERENCES apps(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // 2: connected repositories and webhook deliveries
  `
  ALTER TABLE apps ADD COLUMN repo_url TEXT;
  ALTER TABLE apps ADD COLUMN repo_branch TEXT;
  ALTER TABLE apps ADD COLUMN repo_credential TEXT;
  ALTER TABLE apps ADD COLUMN webhook_secret TEXT;
  CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    deployment_id INTEGER,
    received_at TEXT NOT NULL
  );
  `,
  // 3: what a release's compose services came from, so a config change derives them again
  `
  ALTER TABLE releases ADD COLUMN service_source TEXT;
  `,
  // 4: deployment ids are never reused (AUTOINCREMENT): a new deployment with the id of one
  // deleted with its app would collide with the old one's queue job and output file
  `
  CREATE TABLE deployments_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    sha TEXT,
    ref TEXT,
    status TEXT NOT NULL,
    release_version INTEGER,
    build_id INTEGER,
    error TEXT,
    params TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  INSERT INTO deployments_new (id, app_id, trigger, sha, ref, status, release_version, build_id, error, params, created_at, started_at, finished_at)
    SELECT id, app_id, trigger, sha, ref, status, release_version, build_id, error, params, created_at, started_at, finished_at FROM deployments;
  DROP TABLE deployments;
  ALTER TABLE deployments_new RENAME TO deployments;
  CREATE INDEX deployments_app ON deployments (app_id, id);
  `,
  // 5: autoscaling — settings set with `slipway autoscale:set`, the replicas a service runs after
  // in-place changes (per release), and each change with the figures that caused it
  `
  CREATE TABLE autoscale_settings (
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    settings TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (app_id, service)
  );
  CREATE TABLE service_replicas (
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    release_version INTEGER NOT NULL,
    service TEXT NOT NULL,
    replicas INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (app_id, release_version, service)
  );
  CREATE TABLE autoscale_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    release_version INTEGER NOT NULL,
    from_replicas INTEGER NOT NULL,
    to_replicas INTEGER NOT NULL,
    reason TEXT NOT NULL,
    metrics TEXT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX autoscale_events_app ON autoscale_events (app_id, id);
  `,
  // 6: job runs (one row per run, and per scheduled tick that did not run: the tick is the
  // unique key, so no scheduled time ever runs twice) and each schedule's last decided tick
  `
  CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    schedule TEXT,
    scheduled_at TEXT,
    task TEXT,
    release_version INTEGER,
    image_digest TEXT,
    state TEXT NOT NULL,
    reason TEXT,
    owner TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    UNIQUE (app_id, schedule, scheduled_at)
  );
  CREATE INDEX job_runs_app ON job_runs (app_id, id);
  CREATE INDEX job_runs_state ON job_runs (state);
  CREATE TABLE job_schedules (
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    through TEXT NOT NULL,
    suspended INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, name)
  );
  `,
  // 7: custom domains (app_id NULL: Slipway's own API domain), certificates (sealed PEMs in
  // DATA/certs/ID.pem.sealed), each ACME-managed domain's issuance state, per-app certs:auto
  `
  CREATE TABLE domains (
    name TEXT PRIMARY KEY,
    app_id INTEGER REFERENCES apps(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
  );
  CREATE INDEX domains_app ON domains (app_id);
  CREATE TABLE certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER REFERENCES apps(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    names TEXT NOT NULL,
    issuer TEXT NOT NULL,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE acme_domains (
    domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
    certificate_id INTEGER REFERENCES certificates(id) ON DELETE SET NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    next_attempt_at TEXT
  );
  CREATE TABLE tls_settings (
    app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    certs_auto INTEGER NOT NULL
  );
  `,
  // 8: an app's own log retention (null: the server's per-app default)
  `
  ALTER TABLE apps ADD COLUMN log_retention_mb REAL;
  ALTER TABLE apps ADD COLUMN log_retention_days REAL;
  `,
  // 9: config var values, webhook secrets and each release's config and services (whose
  // environment holds interpolated config values) are encrypted at rest (see sealer.ts)
  (db, { sealer }) => {
    const vars = db.prepare('SELECT app_id, key, value FROM config_vars').all() as { app_id: number; key: string; value: string }[];
    const setVar = db.prepare('UPDATE config_vars SET value = ? WHERE app_id = ? AND key = ?');
    for (const v of vars) setVar.run(sealer.seal(v.value, sealContext.configVar(v.app_id, v.key)), v.app_id, v.key);
    const apps = db.prepare('SELECT id, webhook_secret FROM apps WHERE webhook_secret IS NOT NULL').all() as { id: number; webhook_secret: string }[];
    const setSecret = db.prepare('UPDATE apps SET webhook_secret = ? WHERE id = ?');
    for (const a of apps) setSecret.run(sealer.seal(a.webhook_secret, sealContext.webhookSecret(a.id)), a.id);
    const releases = db.prepare('SELECT app_id, version, config, services FROM releases').all() as { app_id: number; version: number; config: string; services: string }[];
    const setRelease = db.prepare('UPDATE releases SET config = ?, services = ? WHERE app_id = ? AND version = ?');
    for (const r of releases)
      setRelease.run(
        sealer.seal(r.config, sealContext.releaseConfig(r.app_id, r.version)),
        sealer.seal(r.services, sealContext.releaseServices(r.app_id, r.version)),
        r.app_id,
        r.version,
      );
  },
  // 10: webhook deliveries are deduplicated per app: one repository may feed several apps, and
  // each gets its own deploy of a delivery
  `
  CREATE TABLE webhook_deliveries_new (
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    deployment_id INTEGER,
    received_at TEXT NOT NULL,
    PRIMARY KEY (app_id, delivery_id)
  );
  INSERT INTO webhook_deliveries_new (app_id, delivery_id, provider, deployment_id, received_at)
    SELECT app_id, delivery_id, provider, deployment_id, received_at FROM webhook_deliveries;
  DROP TABLE webhook_deliveries;
  ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
  `,
  // 11: dashboard sessions (a browser's httpOnly cookie) and the one-time sign-in codes
  // `slipway login:ui` prints; both stand for the API token that made them, stored as hashes
  `
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  `,
  // 12: scale saved with --no-deploy for the next deploy; host ports routed to an app (ports plugin)
  `
  ALTER TABLE apps ADD COLUMN pending_scale TEXT;
  CREATE TABLE port_mappings (
    host_port INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    scheme TEXT NOT NULL,
    container_port INTEGER NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
];
