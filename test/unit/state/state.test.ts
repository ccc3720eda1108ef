// State: migrations apply once, app names follow the DNS-label rule, release numbers are never
// reused, tokens are stored hashed, config values and webhook secrets are encrypted at rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stateSealer } from '../../../src/source/secrets.js';
import { MIGRATIONS } from '../../../src/state/migrations.js';
import { openTestState } from '../../helpers/state.js';
import { migrate } from '../../../src/state/db.js';
import { isValidAppName } from '../../../src/domain.js';

test('migrations are numbered and applied once', () => {
  const s = openTestState();
  assert.equal(migrate(s.db, { sealer: stateSealer(randomBytes(32)) }), 0);
  const versions = s.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
  assert.deepEqual(versions.map((v) => v.version), versions.map((_, i) => i + 1));
});

test('app names are DNS labels', () => {
  for (const ok of ['a', 'demo', 'my-app-2', '0', 'a'.repeat(63)]) assert.ok(isValidAppName(ok), ok);
  for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'a.b', 'a'.repeat(64), 'ä', 'a b', '../x'])
    assert.ok(!isValidAppName(bad), bad);
});

test('release numbers increase per app and are never reused', () => {
  const s = openTestState();
  const a = s.apps.create('one');
  const b = s.apps.create('two');
  assert.deepEqual([s.apps.nextVersion(a.id), s.apps.nextVersion(a.id), s.apps.nextVersion(b.id)], [1, 2, 1]);
});

test('tokens are stored as hashes and verified', () => {
  const s = openTestState();
  const t = s.tokens.create('admin');
  const stored = s.db.prepare('SELECT hash FROM tokens').get() as { hash: string };
  assert.notEqual(stored.hash, t);
  assert.ok(!stored.hash.includes(t));
  assert.equal(s.tokens.verify(t), 'admin');
  assert.equal(s.tokens.verify(t + 'x'), null);
  assert.equal(s.tokens.verify(''), null);
});

test('config vars are set and unset together', () => {
  const s = openTestState();
  const a = s.apps.create('cfg');
  s.apps.setConfig(a.id, { A: '1', B: '2' });
  assert.deepEqual(s.apps.setConfig(a.id, { A: null, C: '3' }), { B: '2', C: '3' });
});

test('deployment ids are never reused, even after the newest one went with its deleted app', () => {
  const s = openTestState();
  const a = s.apps.create('gone');
  const first = s.deployments.create(a.id, { trigger: 'push' });
  s.apps.destroy('gone');
  assert.equal(s.deployments.has(first.id), false);
  const b = s.apps.create('next');
  assert.ok(s.deployments.create(b.id, { trigger: 'push' }).id > first.id);
});

test('webhook deliveries are deduplicated per app: the same id reaching another app is new to it', () => {
  const s = openTestState();
  const a = s.apps.create('fed-a');
  const b = s.apps.create('fed-b');
  const d = s.deployments.create(a.id, { trigger: 'webhook' });
  s.deliveries.record(a.id, 'delivery-1', 'github', d.id);
  assert.equal(s.deliveries.seen(a.id, 'delivery-1'), true);
  assert.equal(s.deliveries.seen(b.id, 'delivery-1'), false);
  s.deliveries.record(b.id, 'delivery-1', 'github', s.deployments.create(b.id, { trigger: 'webhook' }).id);
  assert.throws(() => s.deliveries.record(a.id, 'delivery-1', 'github', d.id), /UNIQUE|PRIMARY KEY/);
});

test('a newer code deploy or rollback that has started makes an older one go back in time; queued or config ones do not', () => {
  const s = openTestState();
  const a = s.apps.create('timeline');
  const old = s.deployments.create(a.id, { trigger: 'webhook', sha: 'a'.repeat(40) });
  const config = s.deployments.create(a.id, { trigger: 'config' });
  s.deployments.update(config.id, { status: 'running' });
  const queued = s.deployments.create(a.id, { trigger: 'push', sha: 'b'.repeat(40) });
  assert.equal(s.deployments.newerStartedCodeChange(a.id, old.id), undefined);
  s.deployments.update(queued.id, { status: 'running' });
  s.deployments.update(queued.id, { status: 'failed' });
  assert.equal(s.deployments.newerStartedCodeChange(a.id, old.id)?.id, queued.id, 'started, even though it failed');
  assert.equal(s.deployments.newerStartedCodeChange(a.id, queued.id), undefined);
  const rollback = s.deployments.create(a.id, { trigger: 'rollback' });
  s.deployments.update(rollback.id, { status: 'running' });
  assert.equal(s.deployments.newerStartedCodeChange(a.id, queued.id)?.id, rollback.id);
});

/** Every byte SQLite keeps for `file`: the database and its write-ahead log. */
function onDisk(file: string): string {
  return [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
}

const SECRET_VALUE = 'postgres://u:Pl41ntextPassw0rd@db/x';

test('config values, webhook secrets and a release\'s config and environment are encrypted in state.db; reads give them back', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.db');
  const key = randomBytes(32);
  const s = openTestState(file, key);
  const a = s.apps.create('sealed');
  s.apps.setConfig(a.id, { DATABASE_URL: SECRET_VALUE });
  s.releases.create(a.id, {
    version: 1,
    image: { repository: 'r/sealed', tags: ['v1'], digest: 'sha256:' + '0'.repeat(64), ref: 'r/sealed@sha256:' + '0'.repeat(64) },
    sha: null,
    config: { DATABASE_URL: SECRET_VALUE },
    services: [{ name: 'web', role: 'web', environment: { DB: SECRET_VALUE }, replicas: 1, health: { kind: 'none' }, volumes: [], dependsOn: [], restart: 'no', labels: {}, stopGraceSeconds: 10, logFiles: [] }],
    scale: {},
    appJson: null,
    releaseCommand: null,
    serviceSource: null,
    description: 'test',
  });
  const secret = s.apps.get('sealed').webhookSecret;
  assert.match(secret, /^[0-9a-f]{48}$/);
  assert.equal(s.apps.config(a.id).DATABASE_URL, SECRET_VALUE);
  assert.equal(s.releases.get(a.id, 1).services[0]!.environment.DB, SECRET_VALUE);
  const bytes = onDisk(file);
  assert.ok(!bytes.includes(SECRET_VALUE), 'a config value is in state.db in clear');
  assert.ok(!bytes.includes(secret), 'the webhook secret is in state.db in clear');
  s.close();
  // Another key opens nothing, and says what to do.
  assert.throws(() => openTestState(file, randomBytes(32)).apps.get('sealed'), /cannot be decrypted.*secret\.key/);
});

test('upgrading an older state.db encrypts its plaintext config values, webhook secrets and releases, leaving no copy in the file', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.db');
  // The database as Slipway left it before encryption (every migration before the one that
  // encrypts, the first step that is code), values in clear.
  const old = new Database(file);
  old.pragma('journal_mode = WAL');
  old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => typeof m === 'function')).forEach((sql, i) => {
    old.exec(sql as string);
    old.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(i + 1, 'then');
  });
  old.prepare("INSERT INTO apps (id, name, webhook_secret, created_at) VALUES (1, 'legacy', 'oldwebhooksecret0123456789abcdef', 'then')").run();
  old.prepare("INSERT INTO config_vars VALUES (1, 'DATABASE_URL', ?)").run(SECRET_VALUE);
  old
    .prepare("INSERT INTO releases (app_id, version, image, config, services, scale, description, status, created_at) VALUES (1, 1, '{}', ?, ?, '{}', 'd', 'active', 'then')")
    .run(JSON.stringify({ DATABASE_URL: SECRET_VALUE }), JSON.stringify([{ name: 'web', environment: { DB: SECRET_VALUE } }]));
  old.close();
  assert.ok(onDisk(file).includes(SECRET_VALUE));

  const s = openTestState(file, randomBytes(32));
  const a = s.apps.get('legacy');
  assert.equal(a.webhookSecret, 'oldwebhooksecret0123456789abcdef');
  assert.deepEqual(s.apps.config(a.id), { DATABASE_URL: SECRET_VALUE });
  assert.deepEqual(s.releases.get(a.id, 1).config, { DATABASE_URL: SECRET_VALUE });
  assert.equal(s.releases.get(a.id, 1).services[0]!.environment.DB, SECRET_VALUE);
  const bytes = onDisk(file);
  assert.ok(!bytes.includes(SECRET_VALUE), 'plaintext config value left in state.db after the upgrade');
  assert.ok(!bytes.includes('oldwebhooksecret0123456789abcdef'), 'plaintext webhook secret left in state.db after the upgrade');
  s.close();
});
