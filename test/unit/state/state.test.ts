// State: migrations apply once, app names follow the DNS-label rule, release numbers are never
// reused, tokens are stored hashed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openState } from '../../../src/state/index.js';
import { migrate } from '../../../src/state/db.js';
import { isValidAppName } from '../../../src/domain.js';

test('migrations are numbered and applied once', () => {
  const s = openState(':memory:');
  assert.equal(migrate(s.db), 0);
  const versions = s.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
  assert.deepEqual(versions.map((v) => v.version), versions.map((_, i) => i + 1));
});

test('app names are DNS labels', () => {
  for (const ok of ['a', 'demo', 'my-app-2', '0', 'a'.repeat(63)]) assert.ok(isValidAppName(ok), ok);
  for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'a.b', 'a'.repeat(64), 'ä', 'a b', '../x'])
    assert.ok(!isValidAppName(bad), bad);
});

test('release numbers increase per app and are never reused', () => {
  const s = openState(':memory:');
  const a = s.apps.create('one');
  const b = s.apps.create('two');
  assert.deepEqual([s.apps.nextVersion(a.id), s.apps.nextVersion(a.id), s.apps.nextVersion(b.id)], [1, 2, 1]);
});

test('tokens are stored as hashes and verified', () => {
  const s = openState(':memory:');
  const t = s.tokens.create('admin');
  const stored = s.db.prepare('SELECT hash FROM tokens').get() as { hash: string };
  assert.notEqual(stored.hash, t);
  assert.ok(!stored.hash.includes(t));
  assert.equal(s.tokens.verify(t), 'admin');
  assert.equal(s.tokens.verify(t + 'x'), null);
  assert.equal(s.tokens.verify(''), null);
});

test('config vars are set and unset together', () => {
  const s = openState(':memory:');
  const a = s.apps.create('cfg');
  s.apps.setConfig(a.id, { A: '1', B: '2' });
  assert.deepEqual(s.apps.setConfig(a.id, { A: null, C: '3' }), { B: '2', C: '3' });
});

test('deployment ids are never reused, even after the newest one went with its deleted app', () => {
  const s = openState(':memory:');
  const a = s.apps.create('gone');
  const first = s.deployments.create(a.id, { trigger: 'push' });
  s.apps.destroy('gone');
  assert.equal(s.deployments.has(first.id), false);
  const b = s.apps.create('next');
  assert.ok(s.deployments.create(b.id, { trigger: 'push' }).id > first.id);
});

test('webhook deliveries are deduplicated per app: the same id reaching another app is new to it', () => {
  const s = openState(':memory:');
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
  const s = openState(':memory:');
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
