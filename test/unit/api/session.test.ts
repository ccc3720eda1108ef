// The dashboard's session cookie on /api: signed in with an API token or a one-time code; httpOnly,
// SameSite=Strict, Path=/api; state-changing requests need this server's Origin; signing out ends
// it server-side; the cookie opens nothing outside /api.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHttpApp } from '../../../src/api/server.js';
import { sessionRouter, signInRouter } from '../../../src/api/session-routes.js';
import { prometheusRouter } from '../../../src/api/metrics-routes.js';
import { silentLogger } from '../../../src/log.js';
import type { State } from '../../../src/state/index.js';
import { openTestState as openState } from '../../helpers/state.js';
import { SESSION_IDLE_MS } from '../../../src/state/sessions.js';

let state: State;
let server: http.Server;
let url = '';
let token = '';

before(async () => {
  state = openState(':memory:');
  token = state.tokens.create('admin');
  const echo = express.Router();
  echo.get('/', (_req, res) => void res.json({ user: res.locals.user }));
  echo.post('/', (_req, res) => void res.json({ changed: true, user: res.locals.user }));
  const app = createHttpApp({
    tokens: state.tokens,
    sessions: state.sessions,
    trustedOrigins: ['https://slipway.example.com'],
    signIn: signInRouter({ state, trustedOrigins: ['https://slipway.example.com'] }),
    logger: silentLogger(),
    raw: { '/metrics': prometheusRouter({ state, open: false, render: () => 'up 1\n' }) },
    api: { '/session': sessionRouter({ state }), '/thing': echo },
    health: () => ({}),
    unauthenticatedTimeoutSeconds: 30,
  });
  server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  state.close();
});

const signIn = (secret: string, origin: string | null = url) =>
  fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
    body: JSON.stringify({ token: secret }),
  });

async function cookieFor(secret: string): Promise<string> {
  const res = await signIn(secret);
  assert.equal(res.status, 201, await res.clone().text());
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

test('signing in with an API token sets an httpOnly, SameSite=Strict cookie for /api only, holding no token', async () => {
  const res = await signIn(token);
  assert.equal(res.status, 201);
  const set = res.headers.get('set-cookie') ?? '';
  assert.match(set, /^slipway_session=[A-Za-z0-9_-]{40,};/);
  assert.match(set, /; HttpOnly/);
  assert.match(set, /; SameSite=Strict/);
  assert.match(set, /; Path=\/api;/);
  assert.ok(!set.includes(token), 'the cookie is a session id, not the API token');
  const who = await fetch(`${url}/api/session`, { headers: { cookie: set.split(';')[0]! } });
  assert.deepEqual(await who.json(), { user: 'admin', session: true });
});

test('a wrong token is refused and sets no cookie', async () => {
  const res = await signIn('sw_not-a-token');
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('set-cookie'), null);
  assert.match(((await res.json()) as { error: string }).error, /not valid/);
});

test('signing in from another origin, or with no Origin, is refused', async () => {
  assert.equal((await signIn(token, 'http://evil.example')).status, 403);
  assert.equal((await signIn(token, null)).status, 403);
});

test('a state-changing request with the cookie needs this server\'s Origin', async () => {
  const cookie = await cookieFor(token);
  const post = (origin?: string) =>
    fetch(`${url}/api/thing`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: '{}' });
  const cross = await post('http://evil.example');
  assert.equal(cross.status, 403);
  assert.match(((await cross.json()) as { error: string }).error, /cross-origin request refused/);
  assert.equal((await post()).status, 403, 'no Origin at all is refused too');
  assert.equal((await post(url)).status, 200);
  assert.equal((await post('https://slipway.example.com')).status, 200, 'the public URL is this server');
  // Reading needs no Origin (GET has no effect; SameSite keeps other sites' GETs cookie-less).
  assert.equal((await fetch(`${url}/api/thing`, { headers: { cookie } })).status, 200);
});

test('a bearer token needs no Origin (CLI and scripts), and the cookie opens nothing outside /api', async () => {
  const res = await fetch(`${url}/api/thing`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 200);
  const cookie = await cookieFor(token);
  assert.equal((await fetch(`${url}/metrics`, { headers: { cookie } })).status, 401);
});

test('signing out ends the session on the server: the same cookie is refused afterwards', async () => {
  const cookie = await cookieFor(token);
  const out = await fetch(`${url}/api/session`, { method: 'DELETE', headers: { cookie, origin: url } });
  assert.equal(out.status, 200);
  assert.deepEqual(await out.json(), { signedOut: true });
  assert.match(out.headers.get('set-cookie') ?? '', /slipway_session=; .*Max-Age=0/);
  const again = await fetch(`${url}/api/thing`, { headers: { cookie } });
  assert.equal(again.status, 401);
  assert.match(((await again.json()) as { error: string }).error, /sign in again/);
});

test('a sign-in code from `slipway login:ui` works once; a browser session cannot make one', async () => {
  const made = await fetch(`${url}/api/session/codes`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(made.status, 201);
  const { code } = (await made.json()) as { code: string };
  assert.match(code, /^swc_/);
  await cookieFor(code);
  assert.equal((await signIn(code)).status, 401, 'a used code is refused');
  const cookie = await cookieFor(token);
  const fromBrowser = await fetch(`${url}/api/session/codes`, { method: 'POST', headers: { cookie, origin: url } });
  assert.equal(fromBrowser.status, 403);
});

test('sessions idle out, codes expire, and deleting the token ends its sessions', () => {
  const row = state.tokens.find(state.tokens.create('ci'))!;
  const t0 = new Date('2030-01-01T00:00:00Z');
  const secret = state.sessions.create(row.id, t0);
  assert.equal(state.sessions.verify(secret, new Date(t0.getTime() + 60_000))?.name, 'ci');
  assert.equal(state.sessions.verify(secret, new Date(t0.getTime() + 60_000 + SESSION_IDLE_MS)), null);
  const { code } = state.sessions.createCode(row.id, t0);
  assert.equal(state.sessions.redeemCode(code, new Date(t0.getTime() + 11 * 60_000)), null);
  const live = state.sessions.create(row.id);
  state.db.prepare('DELETE FROM tokens WHERE id = ?').run(row.id);
  assert.equal(state.sessions.verify(live), null);
});
