// The foundation a user meets first: the API answers, refuses strangers, and manages apps;
// the CLI does the same through it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s?.stop();
});

test('healthz answers without a token', async () => {
  const res = await fetch(s.url + '/healthz');
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { ok: boolean }).ok, true);
});

test('/api without a token or with a wrong one answers 401 with a message', async () => {
  const none = await fetch(s.url + '/api/apps');
  assert.equal(none.status, 401);
  assert.match(((await none.json()) as { error: string }).error, /missing token/);
  const wrong = await fetch(s.url + '/api/apps', { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
});

test('the admin token file is private to its owner', () => {
  const mode = statSync(path.join(s.dataDir, 'admin-token')).mode & 0o777;
  assert.equal(mode, 0o600);
});

test('apps can be created, listed, shown and destroyed', async () => {
  const name = uniqueName('app');
  const created = await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name }) });
  assert.equal(created.status, 201);
  const view = (await created.json()) as { name: string; gitRemote: string; url: string };
  assert.equal(view.name, name);
  assert.match(view.gitRemote, new RegExp(`/git/${name}\\.git$`));
  const list = (await (await s.api('/api/apps')).json()) as { name: string }[];
  assert.ok(list.some((a) => a.name === name));
  assert.equal((await s.api(`/api/apps/${name}`)).status, 200);
  const dup = await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name }) });
  assert.equal(dup.status, 409);
  const unconfirmed = await s.api(`/api/apps/${name}`, { method: 'DELETE' });
  assert.equal(unconfirmed.status, 422);
  assert.equal((await s.api(`/api/apps/${name}?confirm=${name}`, { method: 'DELETE' })).status, 200);
  assert.equal((await s.api(`/api/apps/${name}`)).status, 404);
});

test('a bad app name is refused with the naming rule', async () => {
  for (const name of ['Bad_Name', '-lead', 'trail-', 'a'.repeat(64), 'dots.in.name', '']) {
    const res = await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name }) });
    assert.ok(res.status >= 400 && res.status < 500, `${name} → ${res.status}`);
    const { error } = (await res.json()) as { error: string };
    assert.match(error, name ? /a-z, 0-9/ : /missing field "name"/);
  }
});

test('malformed JSON answers 400, not 500', async () => {
  const res = await s.api('/api/apps', { method: 'POST', body: '{"name":' });
  assert.equal(res.status, 400);
  assert.ok(((await res.json()) as { error: string }).error);
});

test('the CLI creates and lists apps, as JSON too', async () => {
  const name = uniqueName('cli');
  const created = await s.cli(['apps:create', name]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /git remote add slipway http:\/\/.*\/git\/.*\.git/);
  const listed = await s.cli(['apps', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok((JSON.parse(listed.stdout) as { name: string }[]).some((a) => a.name === name));
  const bad = await s.cli(['apps:create', 'No_Good']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /app names are/);
  const destroyed = await s.cli(['apps:destroy', name, '--confirm', name]);
  assert.equal(destroyed.code, 0, destroyed.stderr);
});

test('the CLI without a token says how to log in', async () => {
  const res = await s.cli(['apps'], { SLIPWAY_TOKEN: '', SLIPWAY_DATA: '/nonexistent' });
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /missing token/);
});

test("an app's own log retention is set, shown and reset with the CLI; a bad value is refused", async () => {
  const name = uniqueName('ret');
  assert.equal((await s.cli(['apps:create', name])).code, 0);
  const info = await s.cli(['apps:info', name]);
  assert.match(info.stdout, /Logs kept:\s+256 MB, 14 days \(server default\)/);
  const set = await s.cli(['apps:log-retention', name, '--mb', '50', '--days', '3']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, new RegExp(`${name} keeps 50 MB, 3 days of log lines`));
  assert.match((await s.cli(['apps:info', name])).stdout, /Logs kept:\s+50 MB, 3 days$/m);
  const bad = await s.cli(['apps:log-retention', name, '--mb', '0']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /mb must be a number ≥ 1/);
  assert.equal((await s.cli(['apps:log-retention', name, '--default'])).code, 0);
  assert.match((await s.cli(['apps:info', name])).stdout, /Logs kept:\s+256 MB, 14 days \(server default\)/);
  await s.cli(['apps:destroy', name, '--confirm', name]);
});
