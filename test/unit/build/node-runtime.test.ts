// engines.node as Heroku's node buildpack reads it: which base image a range gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineRange, runtimeTag, seededImage } from '../../../src/build/node-runtime.js';
import { UserError } from '../../../src/errors.js';

test('engines.node is read from package.json; none means null', () => {
  assert.equal(engineRange('{"engines":{"node":" 22.x "}}'), '22.x');
  assert.equal(engineRange('{"engines":{"npm":"10"}}'), null);
  assert.equal(engineRange('{}'), null);
  assert.equal(engineRange(null), null);
});

test('a range that is not one is refused with what to write', () => {
  for (const bad of ['{"engines":{"node":"latest"}}', '{"engines":{"node":22}}', '{"engines":{"node":"22; rm -rf /"}}']) {
    assert.throws(() => engineRange(bad), (e: unknown) => e instanceof UserError && /engines\.node .* is not a version range: write one such as "22\.x"/.test(e.message));
  }
  assert.throws(() => engineRange('{"engines": }'), (e: unknown) => e instanceof UserError && /^package\.json line 1 column \d+: invalid JSON/.test(e.message));
});

test('a range meaning "any release of a seeded major" uses node:N-slim; no range the current LTS', () => {
  assert.equal(seededImage(null), 'node:24-slim');
  for (const r of ['22', '22.x', '22.X', '22.*', '22.x.x', '^22', '~22']) assert.equal(seededImage(r), 'node:22-slim', r);
  assert.equal(seededImage('18.x'), 'node:18-slim');
  for (const r of ['20.x', '>=20 <23', '^22.5.0', '22.1.0', '16.x', '>=18']) assert.equal(seededImage(r), null, r);
});

test('any other range gets its own runtime image tag', () => {
  assert.match(runtimeTag('>=20 <21'), /^slipway\/node-runtime:r-[0-9a-f]{16}$/);
  assert.notEqual(runtimeTag('20.x'), runtimeTag('>=20 <21'));
});
