// Where a release is stored: repository, tags vN and git-<sha12>, and the registry's URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseTags, repositoryFor } from '../../../src/registry/push.js';
import { registryUrl } from '../../../src/registry/api.js';

test('a release is tagged vN and git-<first 12 of the sha>', () => {
  assert.deepEqual(releaseTags(3, '0123456789abcdef0123456789abcdef01234567'), ['v3', 'git-0123456789ab']);
  assert.deepEqual(releaseTags(12, 'fedcba9876543210'), ['v12', 'git-fedcba987654']);
});

test('each app is one repository in the registry', () => {
  assert.equal(repositoryFor('127.0.0.1:5000', 'demo'), '127.0.0.1:5000/demo');
});

test('the local registry is spoken to over http, a remote one over https', () => {
  assert.equal(registryUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  assert.equal(registryUrl('localhost:5000'), 'http://localhost:5000');
  assert.equal(registryUrl('[::1]:5000'), 'http://[::1]:5000');
  assert.equal(registryUrl('registry.example.com'), 'https://registry.example.com');
  assert.equal(registryUrl('10.0.0.5:5000'), 'https://10.0.0.5:5000');
});
