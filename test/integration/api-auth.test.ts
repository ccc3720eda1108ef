// Who gets in, against a real server: every /api route (read from the express router itself, so a
// route added later is covered too) refuses a request without a token and one with HTTP Basic
// credentials, even valid ones — only git takes Basic, because git clients need it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fillParams, listRoutes } from '../helpers/routes.js';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
let app: string;
before(async () => {
  s = await startTestServer();
  app = uniqueName('auth');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});
after(async () => {
  await s?.stop();
});

/** Sign-in and sign-out (the dashboard's session), mounted before the credential check. */
const SIGN_IN = new Set(['POST /api/session', 'DELETE /api/session']);

const basic = (password: string) => 'Basic ' + Buffer.from(`git:${password}`).toString('base64');

test('every /api route answers 401 without a token and with HTTP Basic (even with a valid token as password)', async () => {
  const routes = listRoutes(s.http).filter((r) => r.path.startsWith('/api/'));
  // The enumeration itself must see the API, or this test would pass by checking nothing.
  for (const known of ['GET /api/apps', 'POST /api/apps/:app/deploys', 'POST /api/apps/:app/config', 'GET /api/apps/:app/logs'])
    assert.ok(routes.some((r) => `${r.method} ${r.path}` === known), `${known} not found among ${JSON.stringify(routes)}`);
  assert.ok(routes.length >= 15, `only ${routes.length} routes found`);
  for (const r of routes) {
    const url = s.url + fillParams(r.path, { app, id: '1' });
    if (SIGN_IN.has(`${r.method} ${r.path}`)) {
      // How a browser gets or drops its session: takes no credential, so it checks Origin and
      // grants nothing to a request without a valid token in its body.
      for (const headers of [{}, { authorization: basic(s.token) }] as Record<string, string>[]) {
        const res = await fetch(url, { method: r.method, headers });
        assert.equal(res.status, 403, `${r.method} ${r.path} without an Origin`);
        assert.equal(res.headers.get('set-cookie'), null, `${r.method} ${r.path} set a cookie`);
      }
      continue;
    }
    const none = await fetch(url, { method: r.method });
    assert.equal(none.status, 401, `${r.method} ${r.path} without a token`);
    const withBasic = await fetch(url, { method: r.method, headers: { authorization: basic(s.token) } });
    assert.equal(withBasic.status, 401, `${r.method} ${r.path} with Basic credentials`);
    assert.match(((await withBasic.json()) as { error: string }).error, /Bearer/);
  }
});

test('the git endpoint takes Basic credentials (password = a token); the API takes the same token as a bearer', async () => {
  const refs = await fetch(`${s.url}/git/${app}.git/info/refs?service=git-upload-pack`, { headers: { authorization: basic(s.token) } });
  assert.equal(refs.status, 200);
  assert.match(refs.headers.get('content-type') ?? '', /git-upload-pack-advertisement/);
  await refs.arrayBuffer();
  assert.equal((await fetch(`${s.url}/git/${app}.git/info/refs?service=git-upload-pack`)).status, 401);
  assert.equal((await s.api('/api/apps')).status, 200);
});

test('webhook endpoints answer an unknown app exactly as a known one with a wrong signature (app names cannot be listed)', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) });
  const probe = async (name: string) => {
    const r = await fetch(`${s.url}/webhooks/github/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': uniqueName('d'), 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) },
      body,
    });
    return { status: r.status, body: (await r.text()).split(name).join('APP') };
  };
  const known = await probe(app);
  assert.equal(known.status, 401);
  assert.deepEqual(await probe(uniqueName('nosuch')), known);
});

test('a stored repository token never follows the repo URL to another host; the same host keeps it', async () => {
  const connect = async (body: Record<string, string>) => {
    const r = await s.api(`/api/apps/${app}/connect`, { method: 'POST', body: JSON.stringify({ branch: 'main', ...body }) });
    assert.equal(r.status, 200);
    return ((await r.json()) as { credential: string }).credential;
  };
  const stored = () => s.state.apps.get(app).repoCredential;
  assert.equal(await connect({ repo: 'https://github.com/acme/demo.git', token: 'ghp_secret0123456789' }), 'new');
  const sealed = stored();
  assert.ok(sealed);
  assert.equal(await connect({ repo: 'https://GitHub.com/acme/other.git' }), 'kept');
  assert.equal(stored(), sealed);
  for (const elsewhere of ['https://attacker.example/acme/demo.git', 'https://github.com:8443/acme/demo.git', 'git@github.com:acme/demo.git']) {
    assert.equal(await connect({ repo: 'https://github.com/acme/demo.git', token: 'ghp_secret0123456789' }), 'new');
    assert.equal(await connect({ repo: elsewhere }), 'dropped', elsewhere);
    assert.equal(stored(), null, `the token must not be kept for ${elsewhere}`);
  }
  const cli = await s.cli(['apps:connect', app, '--repo', 'https://gitlab.example/acme/demo.git']);
  assert.equal(cli.code, 0, cli.stderr);
});
