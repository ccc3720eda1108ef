// ACME timing: renew at two thirds of the lifetime, back off after failures, force on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acmeDue, renewAt, retryDelayMs } from '../../../src/certs/renewal.js';
import type { AcmeDomainRow, CertificateRow } from '../../../src/state/certificates.js';

const row = (over: Partial<AcmeDomainRow> = {}): AcmeDomainRow => ({
  domain: 'www.shop.test',
  certificateId: 1,
  failures: 0,
  lastAttemptAt: null,
  lastSuccessAt: null,
  lastError: null,
  nextAttemptAt: null,
  ...over,
});
const cert = { id: 1, notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-04-01T00:00:00Z' } as CertificateRow; // 90 days

test("a 90-day certificate renews on day 60", () => {
  assert.equal(renewAt(new Date(cert.notBefore), new Date(cert.notAfter)).toISOString(), '2026-03-02T00:00:00.000Z');
  assert.equal(acmeDue(row(), cert, new Date('2026-03-01T23:59:00Z')), null);
  assert.equal(acmeDue(row(), cert, new Date('2026-03-02T00:00:00Z')), 'renew');
});

test('a new domain is issued at once; a forced renewal is due now; a back-off waits', () => {
  const now = new Date('2026-02-01T00:00:00Z');
  assert.equal(acmeDue(row({ certificateId: null }), undefined, now), 'issue');
  assert.equal(acmeDue(row({ nextAttemptAt: now.toISOString() }), cert, now), 'renew');
  assert.equal(acmeDue(row({ nextAttemptAt: '2026-02-01T00:05:00Z' }), cert, now), null);
  assert.equal(acmeDue(row({ certificateId: null, nextAttemptAt: '2026-02-01T00:05:00Z' }), undefined, now), null);
  assert.equal(acmeDue(row({ certificateId: null, nextAttemptAt: '2026-02-01T00:05:00Z' }), undefined, new Date('2026-02-01T00:05:00Z')), 'issue');
});

test('the pause after a failure grows from 5 minutes to at most a day', () => {
  const minutes = [1, 2, 3, 4, 5, 6, 10].map((n) => retryDelayMs(n) / 60_000);
  assert.deepEqual(minutes, [5, 20, 80, 320, 1280, 1440, 1440]);
});
