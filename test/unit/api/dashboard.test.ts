// How the server serves the dashboard: hashed assets cached for a year, the page never cached and
// under a strict CSP, any page path answered with the page (shared links), API paths never.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { dashboardRouter } from '../../../src/api/dashboard.js';
import { notFound } from '../../../src/api/http.js';

let dir = '';
let server: http.Server;
let url = '';

async function serve(d: string): Promise<void> {
  const app = express();
  app.use(dashboardRouter(d));
  app.use(notFound);
  server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-ui-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(path.join(dir, 'assets/index-abc123.js'), 'console.log(1)');
  await serve(dir);
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const html = { accept: 'text/html' };

test('hashed assets are cached for a year, immutable', async () => {
  const res = await fetch(`${url}/assets/index-abc123.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
  assert.equal((await fetch(`${url}/assets/missing-1.js`)).status, 404);
});

test('assets go gzipped to a client that takes gzip', async () => {
  const res = await fetch(`${url}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.headers.get('content-encoding'), 'gzip');
  assert.match(res.headers.get('cache-control') ?? '', /immutable/);
  assert.equal(await res.text(), 'console.log(1)');
  const escape = await fetch(`${url}/assets/..%2findex.html`, { headers: { 'accept-encoding': 'gzip' } });
  assert.ok(escape.status === 403 || escape.status === 404, `a path out of assets/ is refused (${escape.status})`);
});

test('the page is never cached and forbids inline script and framing', async () => {
  const res = await fetch(`${url}/`, { headers: html });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
});

test('a page path (a shared link) gets the page; API and git paths never do', async () => {
  const page = await fetch(`${url}/apps/demo/logs?grep=timeout`, { headers: html });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /index-abc123\.js/);
  for (const p of ['/api/nothing', '/git/demo.git/info/refs', '/webhooks/github/demo']) {
    const res = await fetch(url + p, { headers: html });
    assert.equal(res.status, 404, p);
    assert.match(res.headers.get('content-type') ?? '', /json/);
  }
});

test('an unbuilt dashboard says how to build it', async () => {
  server.close();
  await serve(path.join(dir, 'nowhere'));
  const res = await fetch(`${url}/`, { headers: html });
  assert.equal(res.status, 503);
  assert.match(await res.text(), /npm run up/);
});
