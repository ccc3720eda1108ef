// Where an imported image lives in the mirror, and how base images are named back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayName, mirrorPath } from '../../../src/registry/base-images.js';

test('Docker Hub names map to the mirror as Docker looks them up', () => {
  assert.deepEqual(mirrorPath('node:20-slim'), { repository: 'library/node', tag: '20-slim' });
  assert.deepEqual(mirrorPath('redis'), { repository: 'library/redis', tag: 'latest' });
  assert.deepEqual(mirrorPath('bitnami/redis:7.2'), { repository: 'bitnami/redis', tag: '7.2' });
  assert.deepEqual(mirrorPath('docker.io/library/node:22'), null, 'a registry-qualified name is not mirrored');
  assert.equal(mirrorPath('ghcr.io/org/app:1'), null);
  assert.equal(mirrorPath('localhost:5000/x:1'), null);
  assert.equal(mirrorPath('Bad Name'), null);
});

test('base images are shown the way a FROM line names them', () => {
  assert.equal(displayName('library/node', '22-slim'), 'node:22-slim');
  assert.equal(displayName('bitnami/redis', '7'), 'bitnami/redis:7');
});
