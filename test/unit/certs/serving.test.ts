// Which certificate each host gets, and which hosts redirect, from the state alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planServing, type ServingInput } from '../../../src/certs/serving.js';
import type { CertificateRow } from '../../../src/state/certificates.js';

const NOW = new Date('2026-06-01T00:00:00Z');
let nextId = 1;
const cert = (app: string | null, source: 'acme' | 'uploaded', names: string[], notAfter = '2026-09-01T00:00:00Z'): CertificateRow => ({
  id: nextId++,
  app,
  source,
  names,
  issuer: 'X',
  notBefore: '2026-03-01T00:00:00Z',
  notAfter,
  fingerprint: 'F',
  createdAt: '',
});

test("an app's uploaded certificate covering the host wins over its ACME one; newest first", () => {
  const acme = cert('shop', 'acme', ['www.shop.test']);
  const older = cert('shop', 'uploaded', ['*.shop.test']);
  const newer = cert('shop', 'uploaded', ['www.shop.test']);
  const input: ServingInput = {
    hosts: [{ name: 'www.shop.test', app: 'shop' }, { name: 'api.shop.test', app: 'shop' }, { name: 'shop.apps.test', app: 'shop' }],
    certificates: [newer, older, acme],
    acme: new Map([['www.shop.test', acme.id]]),
    redirect: () => false,
  };
  const plan = planServing(input, NOW);
  assert.deepEqual([...plan.certFor], [['www.shop.test', newer.id], ['api.shop.test', older.id]]);
});

test("another app's certificate never serves a host, even when its names cover it", () => {
  const theirs = cert('other', 'uploaded', ['*.shop.test']);
  const plan = planServing({ hosts: [{ name: 'www.shop.test', app: 'shop' }], certificates: [theirs], acme: new Map(), redirect: () => true }, NOW);
  assert.equal(plan.certFor.size, 0);
  assert.deepEqual(plan.redirects, [], 'a host without a certificate is never redirected to HTTPS');
});

test('an expired upload steps aside for the ACME certificate; redirects follow each app', () => {
  const acme = cert('shop', 'acme', ['www.shop.test']);
  const expired = cert('shop', 'uploaded', ['www.shop.test'], '2026-05-01T00:00:00Z');
  const api = cert(null, 'acme', ['api.slipway.test']);
  const plan = planServing(
    {
      hosts: [{ name: 'www.shop.test', app: 'shop' }, { name: 'api.slipway.test', app: null }],
      certificates: [expired, acme, api],
      acme: new Map([['www.shop.test', acme.id], ['api.slipway.test', api.id]]),
      redirect: (app) => app === 'shop',
    },
    NOW,
  );
  assert.deepEqual([...plan.certFor], [['www.shop.test', acme.id], ['api.slipway.test', api.id]]);
  assert.deepEqual(plan.redirects, ['www.shop.test']);
});
