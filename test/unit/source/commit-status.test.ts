// Commit status requests, built as data for each host's documented API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { repoLocation, statusRequest } from '../../../src/source/commit-status.js';

const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const base = { sha: SHA, token: 'T0KEN', description: 'Deploying v3', targetUrl: 'https://demo.apps.example.com' };

test('the owner and project are read from https, ssh and scp-like URLs', () => {
  assert.deepEqual(repoLocation('https://github.com/acme/demo.git'), { host: 'github.com', path: 'acme/demo' });
  assert.deepEqual(repoLocation('ssh://git@gitlab.example.com:2222/group/sub/demo.git'), { host: 'gitlab.example.com:2222', path: 'group/sub/demo' });
  assert.deepEqual(repoLocation('git@github.com:acme/demo.git'), { host: 'github.com', path: 'acme/demo' });
  assert.deepEqual(repoLocation('https://gitlab.com/group/demo/'), { host: 'gitlab.com', path: 'group/demo' });
  assert.throws(() => repoLocation('https://github.com/demo'));
});

test('GitHub: POST /repos/{owner}/{repo}/statuses/{sha} on api.github.com with a bearer token', () => {
  const r = statusRequest({ ...base, provider: 'github', repoUrl: 'https://github.com/acme/demo.git', state: 'pending' });
  assert.equal(r.url, `https://api.github.com/repos/acme/demo/statuses/${SHA}`);
  assert.equal(r.headers.authorization, 'Bearer T0KEN');
  assert.equal(r.headers.accept, 'application/vnd.github+json');
  assert.deepEqual(r.body, { state: 'pending', context: 'slipway', description: 'Deploying v3', target_url: 'https://demo.apps.example.com' });
});

test('GitHub Enterprise hosts use https://HOST/api/v3', () => {
  const r = statusRequest({ ...base, provider: 'github', repoUrl: 'git@ghe.corp:acme/demo.git', state: 'success' });
  assert.equal(r.url, `https://ghe.corp/api/v3/repos/acme/demo/statuses/${SHA}`);
});

test('GitLab: POST /projects/:id/statuses/:sha with the url-encoded path, PRIVATE-TOKEN, and "failed" for failure', () => {
  const r = statusRequest({ ...base, provider: 'gitlab', repoUrl: 'https://gitlab.example.com/group/sub/demo.git', state: 'failure' });
  assert.equal(r.url, `https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fdemo/statuses/${SHA}`);
  assert.equal(r.headers['private-token'], 'T0KEN');
  assert.equal(r.body.state, 'failed');
  assert.equal(r.body.name, 'slipway');
});

test('Gitea/Forgejo (generic): the GitHub-shaped API under /api/v1 with a token header', () => {
  const r = statusRequest({ ...base, provider: 'generic', repoUrl: 'https://git.example.org/acme/demo.git', state: 'success' });
  assert.equal(r.url, `https://git.example.org/api/v1/repos/acme/demo/statuses/${SHA}`);
  assert.equal(r.headers.authorization, 'token T0KEN');
});

test('apiBase overrides the host (a local fake server in tests) and descriptions are cut to 140 characters', () => {
  const r = statusRequest({ ...base, provider: 'github', repoUrl: 'https://github.com/acme/demo.git', state: 'success', apiBase: 'http://127.0.0.1:9', description: 'x'.repeat(500) });
  assert.equal(r.url, `http://127.0.0.1:9/repos/acme/demo/statuses/${SHA}`);
  assert.equal(r.body.description!.length, 140);
});

test('a sha that is not hex never reaches the URL path', () => {
  assert.throws(() => statusRequest({ ...base, provider: 'github', repoUrl: 'https://github.com/a/b', state: 'success', sha: '../../user' }));
});
