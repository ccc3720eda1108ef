// GET /metrics: the admin token, unless SLIPWAY_METRICS_PUBLIC is set and the scraper is local.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { prometheusRouter } from '../../../src/api/metrics-routes.js';
import { openTestState } from '../../helpers/state.js';

async function serve(open: boolean) {
  const state = openTestState();
  const token = state.tokens.create('admin');
  const app = express();
  app.use('/metrics', prometheusRouter({ state, open, render: () => 'up 1\n' }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  return { url, token, close: () => new Promise((r) => server.close(r)) };
}

test('without SLIPWAY_METRICS_PUBLIC the token is needed', async () => {
  const s = await serve(false);
  assert.equal((await fetch(s.url)).status, 401);
  const ok = await fetch(s.url, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'up 1\n');
  await s.close();
});

test('with SLIPWAY_METRICS_PUBLIC a loopback scraper needs no token', async () => {
  const s = await serve(true);
  const res = await fetch(s.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  await s.close();
});
