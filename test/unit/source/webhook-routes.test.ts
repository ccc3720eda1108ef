// The webhook endpoints as GitHub, GitLab and Gitea call them: real payloads, real HTTP, each
// answer's status and JSON, and exactly which deliveries reach the queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TransientError } from '../../../src/errors.js';
import { signGithub } from '../../../src/source/webhooks.js';
import { SECRET, post, startHarness } from './webhook-server.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/webhooks');
const PUSH = readFileSync(path.join(FIXTURES, 'github/push-with-new-branch.payload.json'));
const PING = readFileSync(path.join(FIXTURES, 'github/ping-payload.json'));
const TAG_DELETE = readFileSync(path.join(FIXTURES, 'github/push-payload.json'));
const GITLAB = readFileSync(path.join(FIXTURES, 'gitlab/push-hook.json'));

let n = 0;
const github = (body: Buffer, event = 'push', extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-github-event': event,
  'x-github-delivery': `d-${process.pid}-${++n}`,
  'x-hub-signature-256': signGithub(body, SECRET),
  ...extra,
});

test('a signed GitHub push to the app\'s branch is queued and answered 202 with the deploy id', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const r = await post(h.port, '/webhooks/github/demo', github(PUSH), PUSH);
  assert.equal(r.status, 202);
  assert.equal(r.json.deploymentId, 1);
  assert.match(r.contentType, /application\/json/);
  assert.equal(h.enqueued.length, 1);
  assert.equal(h.enqueued[0]!.push.sha, '6113728f27ae82c7b1a177c8d03f9e96e0adf246');
  assert.equal(h.enqueued[0]!.push.branch, 'master');
});

test('a redelivery (same X-GitHub-Delivery) answers 200 duplicate and starts nothing', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const headers = github(PUSH);
  assert.equal((await post(h.port, '/webhooks/github/demo', headers, PUSH)).status, 202);
  const again = await post(h.port, '/webhooks/github/demo', headers, PUSH);
  assert.equal(again.status, 200);
  assert.equal(again.json.duplicate, true);
  assert.equal(h.enqueued.length, 1);
});

test('the same delivery sent many times at once is queued once', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.enqueueImpl = async () => {
    await new Promise((r) => setTimeout(r, 50));
    return { deploymentId: 7 };
  };
  const headers = github(PUSH);
  const replies = await Promise.all(Array.from({ length: 10 }, () => post(h.port, '/webhooks/github/demo', headers, PUSH)));
  assert.equal(replies.filter((r) => r.status === 202).length, 1);
  assert.ok(replies.every((r) => r.status === 202 || r.json.duplicate === true));
  assert.equal(h.enqueued.length, 1);
});

test('ping answers 200 pong; tag deletions and other branches answer 200 with why, queueing nothing', async (t) => {
  const h = await startHarness([{ id: 1, name: 'demo', webhookSecret: SECRET, repoBranch: 'main' }]);
  t.after(() => h.close());
  const ping = await post(h.port, '/webhooks/github/demo', github(PING, 'ping'), PING);
  assert.deepEqual([ping.status, ping.json], [200, { ok: true, message: 'pong' }]);
  const tag = await post(h.port, '/webhooks/github/demo', github(TAG_DELETE), TAG_DELETE);
  assert.equal(tag.status, 200);
  assert.match(String(tag.json.ignored), /tag simple-tag/);
  const other = await post(h.port, '/webhooks/github/demo', github(PUSH), PUSH);
  assert.equal(other.status, 200);
  assert.match(String(other.json.ignored), /branch master; this app deploys main/);
  const issues = await post(h.port, '/webhooks/github/demo', github(Buffer.from('{}'), 'issues'), Buffer.from('{}'));
  assert.equal(issues.status, 200);
  assert.ok(issues.json.ignored);
  assert.equal(h.enqueued.length, 0);
});

test('an unknown app, a malformed name and an app without a secret answer exactly as a known app with a wrong signature', async (t) => {
  const h = await startHarness([
    { id: 1, name: 'demo', webhookSecret: SECRET, repoBranch: 'master' },
    { id: 2, name: 'nosecret', webhookSecret: '', repoBranch: 'master' },
  ]);
  t.after(() => h.close());
  // What a prober sends: the URL's name is the only thing that differs between the requests.
  const probe = async (provider: string, name: string, headers: Record<string, string>, body: Buffer) => {
    const r = await post(h.port, `/webhooks/${provider}/${name}`, headers, body);
    return { status: r.status, json: JSON.stringify(r.json).split(name).join('APP'), contentType: r.contentType };
  };
  const badSig = github(PUSH, 'push', { 'x-hub-signature-256': signGithub(PUSH, 'guess') });
  const known = await probe('github', 'demo', badSig, PUSH);
  assert.equal(known.status, 401);
  for (const name of ['nope', 'nosecret', 'Not_An-App'])
    assert.deepEqual(await probe('github', name, badSig, PUSH), known, name);
  const text = { 'content-type': 'text/plain' };
  assert.deepEqual(await probe('github', 'nope', text, Buffer.from('x')), await probe('github', 'demo', text, Buffer.from('x')));
  const gitlab = { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' };
  assert.deepEqual(await probe('gitlab', 'nope', gitlab, GITLAB), await probe('gitlab', 'demo', gitlab, GITLAB));
  // Signed with the empty secret an app without one would have: still refused, the same way.
  assert.deepEqual(await probe('github', 'nosecret', { ...github(PUSH), 'x-hub-signature-256': signGithub(PUSH, '') }, PUSH), known);
  assert.equal(h.enqueued.length, 0);
  // An unknown provider names no app: 404 for every name alike.
  assert.equal((await post(h.port, '/webhooks/bitbucket/demo', github(PUSH), PUSH)).status, 404);
});

test('missing or wrong signature is 401 — checked before the content type', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const noSig = await post(h.port, '/webhooks/github/demo', { 'content-type': 'application/json', 'x-github-event': 'push' }, PUSH);
  assert.equal(noSig.status, 401);
  assert.match(String(noSig.json.error), /X-Hub-Signature-256/);
  const wrong = await post(h.port, '/webhooks/github/demo', github(PUSH, 'push', { 'x-hub-signature-256': signGithub(PUSH, 'nope') }), PUSH);
  assert.equal(wrong.status, 401);
  const wrongAndForm = await post(h.port, '/webhooks/github/demo', { 'content-type': 'application/x-www-form-urlencoded' }, PUSH);
  assert.equal(wrongAndForm.status, 401);
  assert.equal(h.enqueued.length, 0);
});

test('form-encoded, missing or non-JSON content types are 415 with what to change', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const form = Buffer.from('payload=' + encodeURIComponent(PUSH.toString()));
  const r = await post(h.port, '/webhooks/github/demo', github(form, 'push', { 'content-type': 'application/x-www-form-urlencoded' }), form);
  assert.equal(r.status, 415);
  assert.match(String(r.json.error), /application\/json in the repository's webhook settings/);
  const none = github(PUSH);
  delete (none as Record<string, string>)['content-type'];
  assert.equal((await post(h.port, '/webhooks/github/demo', none, PUSH)).status, 415);
  assert.equal((await post(h.port, '/webhooks/github/demo', github(PUSH, 'push', { 'content-type': 'text/plain' }), PUSH)).status, 415);
  assert.equal((await post(h.port, '/webhooks/github/demo', github(PUSH, 'push', { 'content-type': 'application/json; charset=latin1' }), PUSH)).status, 415);
  assert.equal((await post(h.port, '/webhooks/github/demo', github(PUSH, 'push', { 'content-encoding': 'gzip' }), PUSH)).status, 415);
  const ok = await post(h.port, '/webhooks/github/demo', github(PUSH, 'push', { 'content-type': 'application/json; charset=utf-8' }), PUSH);
  assert.equal(ok.status, 202);
  assert.equal(h.enqueued.length, 1);
});

test('a body over 25 MB is 413, with or without a Content-Length', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const declared = await post(h.port, '/webhooks/github/demo', { ...github(PUSH), 'content-length': String(26 * chunk.length) }, { repeat: 26, chunk });
  assert.equal(declared.status, 413);
  assert.match(String(declared.json.error), /larger than 25 MB/);
  const chunked = await post(h.port, '/webhooks/gitlab/demo', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, { repeat: 26, chunk });
  assert.equal(chunked.status, 413);
  assert.equal(h.enqueued.length, 0);
});

test('a signed malformed body is 400 naming the problem; a missing event header too', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const bad = Buffer.from('{"ref": "refs/heads/master"');
  const r = await post(h.port, '/webhooks/github/demo', github(bad), bad);
  assert.equal(r.status, 400);
  assert.match(String(r.json.error), /invalid JSON/);
  const noEvent = github(PUSH);
  delete (noEvent as Record<string, string>)['x-github-event'];
  const r2 = await post(h.port, '/webhooks/github/demo', noEvent, PUSH);
  assert.equal(r2.status, 400);
  assert.match(String(r2.json.error), /x-github-event/);
  assert.equal(h.enqueued.length, 0);
});

test('GitLab: X-Gitlab-Token must equal the secret; a Push Hook is queued; X-Gitlab-Event-UUID dedupes', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const headers = { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': `gl-${process.pid}` };
  assert.equal((await post(h.port, '/webhooks/gitlab/demo', { ...headers, 'x-gitlab-token': 'wrong' }, GITLAB)).status, 401);
  const r = await post(h.port, '/webhooks/gitlab/demo', headers, GITLAB);
  assert.equal(r.status, 202);
  assert.equal(h.enqueued[0]!.push.sha, 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
  assert.equal((await post(h.port, '/webhooks/gitlab/demo', headers, GITLAB)).json.duplicate, true);
  assert.equal(h.enqueued.length, 1);
});

test('the generic endpoint takes Gitea/Forgejo deliveries: GitHub format, bare-hex X-Gitea-Signature', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const headers = {
    'content-type': 'application/json',
    'x-gitea-event': 'push',
    'x-gitea-delivery': 'b5a1c7f0-0000-4000-8000-000000000001',
    'x-gitea-signature': signGithub(PUSH, SECRET).slice(7),
  };
  const r = await post(h.port, '/webhooks/generic/demo', headers, PUSH);
  assert.equal(r.status, 202);
  assert.equal(h.enqueued[0]!.push.provider, 'generic');
  // The GitHub endpoint accepts only GitHub's header.
  assert.equal((await post(h.port, '/webhooks/github/demo', headers, PUSH)).status, 401);
});

test('when the queue is down the answer is 503, and a redelivery later still deploys', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const headers = github(PUSH);
  const ok = h.enqueueImpl;
  h.enqueueImpl = async () => {
    throw new TransientError('redis unreachable');
  };
  const down = await post(h.port, '/webhooks/github/demo', headers, PUSH);
  assert.equal(down.status, 503);
  assert.equal(h.enqueued.length, 0);
  h.enqueueImpl = ok;
  assert.equal((await post(h.port, '/webhooks/github/demo', headers, PUSH)).status, 202);
  assert.equal(h.enqueued.length, 1);
});

test('an app without a webhook secret accepts no delivery', async (t) => {
  const h = await startHarness([{ id: 2, name: 'nosecret', webhookSecret: '', repoBranch: 'master' }]);
  t.after(() => h.close());
  const r = await post(h.port, '/webhooks/github/nosecret', { ...github(PUSH), 'x-hub-signature-256': signGithub(PUSH, '') }, PUSH);
  assert.equal(r.status, 401);
  assert.equal(h.enqueued.length, 0);
});
