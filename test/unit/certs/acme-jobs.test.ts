// ACME jobs on an in-memory state with a fake CA and a fake proxy: issue, renew, fail and back
// off (the old certificate keeps serving), certs:auto on/off, and what HAProxy is asked to serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { openTestState as openState } from '../../helpers/state.js';
import { CertStore } from '../../../src/certs/store.js';
import { CertService } from '../../../src/certs/service.js';
import { AcmeJobs } from '../../../src/certs/acme-jobs.js';
import { selfSignedPem } from '../../../src/certs/default-cert.js';
import { issueCert, makeCa } from '../../helpers/certs.js';

const DOMAIN = 'www.shop.example';

async function setup(opts: { certsAuto?: boolean } = {}) {
  const state = openState(':memory:');
  state.apps.create('shop');
  state.domains.add(DOMAIN, state.apps.get('shop').id);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'certs-unit-'));
  const store = new CertStore(dir, Buffer.alloc(32, 7));
  let now = new Date('2026-01-01T00:00:00Z');
  const served: Map<string, string>[] = [];
  const redirects: Map<string, string>[] = [];
  const map = (into: Map<string, string>[]) => ({ prepare: async () => undefined, readLive: async () => undefined, replace: async (m: Map<string, string>) => void into.push(m) });
  const certs = new CertService({
    state,
    store,
    proxy: { prepare: async () => undefined, apply: async (d: Map<string, string>) => void served.push(d) },
    redirects: map(redirects),
    settings: { enabled: true, appsDomain: 'apps.test', httpsRedirect: false },
    releaseConfig: () => ({ SLIPWAY_HTTPS_REDIRECT: '1' }),
    logger: silentLogger(),
    now: () => now,
  });
  const challenges = new Map<string, string>();
  const issued: string[] = [];
  let fail: string | null = null;
  const queued: string[] = [];
  const appLog: string[] = [];
  const acme = new AcmeJobs({
    state,
    store,
    certs,
    issue: async (domain, responder) => {
      await responder.put('tok', 'tok.thumb');
      assert.equal(challenges.get('tok'), 'tok.thumb', 'the challenge is answerable while the CA validates');
      await responder.remove('tok');
      if (fail) throw new Error(fail);
      issued.push(domain);
      return selfSignedPem([domain], 90, now);
    },
    challenges: { set: async (k, v) => void challenges.set(k, v), delete: async (k) => void challenges.delete(k) },
    enqueue: async (d) => void queued.push(d),
    certsAuto: opts.certsAuto ?? false,
    logger: silentLogger(),
    appLog: (app, line) => void appLog.push(`${app}: ${line}`),
    now: () => now,
  });
  return {
    state, store, dir, certs, acme, served, redirects, issued, queued, appLog,
    setNow: (d: string) => (now = new Date(d)),
    failWith: (m: string | null) => (fail = m),
    servedFingerprint: () => new X509Certificate(served.at(-1)!.get(DOMAIN)!).fingerprint256,
  };
}

test('certs:auto on manages the domain: the job issues, HAProxy serves it, redirects follow the app config', async () => {
  const t = await setup();
  await t.acme.domainAdded('shop', DOMAIN);
  assert.deepEqual(t.queued, [], 'auto is off by default: nothing is queued');
  assert.deepEqual(await t.acme.setAuto('shop', true), [DOMAIN]);
  assert.deepEqual(t.queued, [DOMAIN]);
  await t.acme.run(DOMAIN);
  assert.deepEqual(t.issued, [DOMAIN]);
  assert.deepEqual([...t.served.at(-1)!.keys()], [DOMAIN]);
  assert.deepEqual([...t.redirects.at(-1)!.keys()], [DOMAIN]);
  const view = t.certs.view('shop').hosts.find((h) => h.domain === DOMAIN)!;
  assert.equal(view.source, 'acme');
  assert.equal(view.acme!.renewAt, '2026-03-01T23:59:40.000Z', 'two thirds of 90 days (from a minute before issue)');
  assert.match(t.appLog.join('\n'), /certificate for www\.shop\.example issued/);
  await t.acme.run(DOMAIN);
  assert.deepEqual(t.issued, [DOMAIN], 'a job for a domain that is not due does nothing');
});

test('a failed renewal keeps the old certificate, records the error, and backs off; the scan retries when due', async () => {
  const t = await setup({ certsAuto: true });
  await t.acme.domainAdded('shop', DOMAIN);
  await t.acme.run(DOMAIN);
  const first = t.servedFingerprint();
  t.setNow('2026-03-05T00:00:00Z'); // past day 60
  assert.deepEqual(await t.acme.scan(), [DOMAIN]);
  t.failWith('DNS problem: SERVFAIL looking up A for www.shop.example');
  await t.acme.run(DOMAIN);
  assert.equal(t.servedFingerprint(), first, 'the old certificate keeps serving');
  const row = t.state.certificates.acme(DOMAIN)!;
  assert.equal(row.failures, 1);
  assert.match(row.lastError!, /SERVFAIL/);
  assert.equal(row.nextAttemptAt, '2026-03-05T00:05:00.000Z');
  assert.match(t.appLog.at(-1)!, /renewal for www\.shop\.example failed: .*SERVFAIL.*keeps serving; next attempt at 2026-03-05T00:05:00/);
  assert.deepEqual(await t.acme.scan(), [], 'waits its back-off');
  t.setNow('2026-03-05T00:05:00Z');
  t.failWith(null);
  assert.deepEqual(await t.acme.scan(), [DOMAIN]);
  await t.acme.run(DOMAIN);
  assert.notEqual(t.servedFingerprint(), first);
  assert.equal(t.state.certificates.acme(DOMAIN)!.failures, 0);
  assert.equal(t.state.certificates.all().length, 1, 'the replaced certificate is deleted');
  assert.equal(readdirSync(t.dir).filter((f) => f.endsWith('.pem.sealed')).length, 1);
});

test('certs:renew forces an attempt; certs:auto off drops the ACME certificates; keys are sealed', async () => {
  const t = await setup({ certsAuto: true });
  await t.acme.domainAdded('shop', DOMAIN);
  await t.acme.run(DOMAIN);
  assert.deepEqual(await t.acme.renew('shop'), [DOMAIN]);
  await t.acme.run(DOMAIN);
  assert.equal(t.issued.length, 2);
  await assert.rejects(t.acme.renew('shop', 'other.example'), /not managed by ACME/);
  for (const f of readdirSync(t.dir)) assert.doesNotMatch(readFileSync(path.join(t.dir, f), 'utf8'), /PRIVATE KEY/);

  await t.acme.setAuto('shop', false);
  assert.equal(t.state.certificates.all().length, 0);
  assert.deepEqual([...t.served.at(-1)!.keys()], []);
  await assert.rejects(t.acme.renew('shop'), /no ACME-managed domain/);
});

test('an uploaded certificate serves the names it covers over the ACME one, until removed', async () => {
  const t = await setup({ certsAuto: true });
  await t.acme.domainAdded('shop', DOMAIN);
  await t.acme.run(DOMAIN);
  const acmeFp = t.servedFingerprint();
  const ca = await makeCa();
  const mine = await issueCert(ca, ['*.shop.example']);
  const up = await t.certs.upload('shop', mine.certPem, mine.keyPem);
  assert.deepEqual(up.hosts, [DOMAIN]);
  assert.equal(t.servedFingerprint(), new X509Certificate(mine.certPem).fingerprint256);
  await assert.rejects(t.certs.upload('shop', (await issueCert(ca, ['x.other.example'])).certPem, mine.keyPem), /does not belong/);
  const stray = await issueCert(ca, ['x.other.example']);
  await assert.rejects(t.certs.upload('shop', stray.certPem, stray.keyPem), /covers none of shop's domains \(shop\.apps\.test, www\.shop\.example\)/);
  await t.certs.removeUploaded('shop', up.id);
  assert.equal(t.servedFingerprint(), acmeFp);
});
