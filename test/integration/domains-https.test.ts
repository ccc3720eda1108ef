// Custom domains and HTTPS as a user lives them, against Let's Encrypt's test CA (pebble): a
// domain routes at once and belongs to one app; certs:auto gets a certificate over HTTP-01
// through Slipway's HAProxy; HTTPS serves the app with it (SNI, HTTP/2); a renewal under
// keep-alive load fails no request; a failed renewal keeps the old certificate and says so; an
// uploaded certificate replaces it; redirect + HSTS; the API over HTTPS on its own domain;
// removing a domain removes its route and certificate. Keys stay sealed and out of the API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { getViaHttps, getViaProxy, httpsTrafficDuring } from '../helpers/http.js';
import { issueCert, makeCa } from '../helpers/certs.js';
import { startPebble, type Pebble } from '../helpers/pebble.js';
import { freePort, ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/apps/dockerfile-node');
let s: TestServer;
let pebble: Pebble;
let app: string;
let other: string;
let domain: string;
let apiDomain: string;
/** The CA of the certificate uploaded in the test that does so (served from then on). */
let uploadedCa = '';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'slipway-https-'));

interface HostView { domain: string; source: string | null; certificateId: number | null; issuer: string | null; acme: { lastError: string | null; lastSuccessAt: string | null } | null; redirect: boolean }
const certs = async (a = app) => (await (await s.api(`/api/apps/${a}/certs`)).json()) as { auto: boolean; hosts: HostView[] };
const hostView = async (name = domain) => (await certs()).hosts.find((h) => h.domain === name);
const https = (name = domain, ca = pebble.rootPem, p = '/') => getViaHttps(s.config.httpsPort, name, { ca, path: p });

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, seconds = 90): Promise<T> {
  let last: unknown;
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`never happened: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

const cli = async (args: string[]) => {
  const r = await s.cli(args);
  return { ...r, out: r.stdout + r.stderr };
};

before(async () => {
  const httpPort = await freePort();
  pebble = await startPebble(httpPort);
  const id = uniqueName('d');
  apiDomain = `api.${id}.test`;
  s = await startTestServer({
    httpPort,
    httpsPort: await freePort(),
    acmeDirectory: pebble.directory,
    acmeCaFile: pebble.apiCaFile,
    apiDomain,
  });
  app = uniqueName('tls');
  other = uniqueName('tls2');
  domain = `www.${app}.test`;
  for (const a of [app, other]) assert.equal((await cli(['apps:create', a])).code, 0);
  const deployed = await cli(['deploy', app, FIXTURE]);
  assert.equal(deployed.code, 0, deployed.out);
});

after(async () => {
  for (const a of [app, other]) await s?.api(`/api/apps/${a}?confirm=${a}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
  await pebble?.stop();
});

test('a domain routes to its app at once; one claimed by another app is refused naming the owner', async () => {
  const added = await cli(['domains:add', app, domain]);
  assert.equal(added.code, 0, added.out);
  assert.match((await getViaProxy(s.config.httpPort, domain)).body, /dockerfile-node first-version/);
  assert.match((await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body, /dockerfile-node/, 'the default address keeps working');

  const taken = await cli(['domains:add', other, domain.toUpperCase() + '.']);
  assert.notEqual(taken.code, 0);
  assert.match(taken.out, new RegExp(`${domain} already belongs to app ${app}`));
  assert.match((await cli(['domains:add', other, `${app}.${s.config.appsDomain}`])).out, new RegExp(`default address of app ${app}`));
  assert.match((await cli(['domains:add', other, apiDomain])).out, /Slipway's own API domain/);
  assert.match((await cli(['domains:add', other, `*.${app}.test`])).out, /wildcards cannot be validated over ACME HTTP-01/);

  const idn = await cli(['domains:add', other, `bücher.${other}.test`]);
  assert.equal(idn.code, 0, idn.out);
  const list = JSON.parse((await cli(['domains', other, '--json'])).stdout) as { name: string; unicode: string; default: boolean }[];
  assert.deepEqual(list.map((d) => [d.name, d.default]), [[`${other}.${s.config.appsDomain}`, true], [`xn--bcher-kva.${other}.test`, false]]);
  assert.equal(list[1]!.unicode, `bücher.${other}.test`);
});

test("certs:auto: pebble issues a certificate over HTTP-01 through Slipway's HAProxy; HTTPS serves the app with it", async () => {
  const on = await cli(['certs:auto', app, 'on']);
  assert.equal(on.code, 0, on.out);
  await eventually('an ACME certificate for the domain', async () => (await hostView())?.source === 'acme');
  // Recorded, then handed to HAProxy: the handshake may see the default certificate for a moment.
  await eventually('HAProxy serving it', async () => (await https().then((r) => r.names.includes(domain), () => false)));
  const res = await https();
  assert.equal(res.status, 200);
  assert.match(res.body, /dockerfile-node first-version/);
  assert.deepEqual(res.names, [domain], 'the SNI name gets its own certificate');
  assert.match(res.issuer, /Pebble/i);

  // What a user would type: curl with pebble's root, HTTP/2 negotiated by ALPN.
  const rootFile = path.join(tmp, 'pebble-root.pem');
  writeFileSync(rootFile, pebble.rootPem);
  const { stdout } = await promisify(execFile)('curl', ['-sS', '--http2', '--cacert', rootFile, '--resolve', `${domain}:${s.config.httpsPort}:127.0.0.1`, '-w', '\n%{http_version}', `https://${domain}:${s.config.httpsPort}/`]);
  assert.match(stdout, /dockerfile-node first-version\s+2$/);

  // Keys at rest: sealed, 0600, never in clear in the data dir or in what the API answers.
  const dir = path.join(s.dataDir, 'certs');
  const files = readdirSync(dir);
  assert.ok(files.some((f) => f.endsWith('.pem.sealed')) && files.some((f) => f.startsWith('acme-account-')), files.join(' '));
  for (const f of files) {
    assert.equal(statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
    assert.doesNotMatch(readFileSync(path.join(dir, f), 'utf8'), /PRIVATE KEY|CERTIFICATE/, f);
  }
  assert.doesNotMatch(JSON.stringify(await certs()), /PRIVATE KEY/);
  const table = await cli(['certs', app]);
  assert.match(table.stdout, new RegExp(`${domain.replace(/\./g, '\\.')}\\s+acme\\s+Pebble`));
});

test('a renewal forced under HTTPS load (keep-alive and new handshakes) fails no request, and new connections get the new certificate', async () => {
  const before = await hostView();
  const old = (await https()).fingerprint;
  const { traffic } = await httpsTrafficDuring(s.config.httpsPort, domain, pebble.rootPem, async () => {
    const renew = await cli(['certs:renew', app]);
    assert.equal(renew.code, 0, renew.out);
    await eventually('the renewed certificate', async () => (await hostView())!.certificateId !== before!.certificateId);
    await new Promise((r) => setTimeout(r, 500)); // keep the load on a little after the swap
  });
  assert.deepEqual(traffic.failures, []);
  assert.ok(traffic.total > 10, `requests during the renewal: ${traffic.total}`);
  assert.notEqual((await https()).fingerprint, old);
});

test('a failed renewal keeps the current certificate serving and shows in slipway certs and the logs', async () => {
  const serving = (await https()).fingerprint;
  await pebble.servfail(domain);
  try {
    assert.equal((await cli(['certs:renew', app])).code, 0);
    const failed = await eventually('the renewal to fail', async () => {
      const h = await hostView();
      return h?.acme?.lastError ? h : undefined;
    });
    assert.match(failed.acme!.lastError!, /could not resolve|SERVFAIL|DNS/i);
    assert.equal((await https()).fingerprint, serving, 'the old certificate keeps serving');
    assert.match((await cli(['certs', app])).stdout, /FAILED .*(could not resolve|SERVFAIL|DNS)/);
    const logs = await eventually('the failure in the app log', async () => {
      const r = await cli(['logs', app, '--service', 'certs']);
      return /renewal for .* failed/.test(r.stdout) && r.stdout;
    });
    assert.match(logs, /keeps serving/);
  } finally {
    await pebble.clear(domain);
  }
});

test('an uploaded certificate replaces the ACME one at once; one for none of the domains is refused', async () => {
  const ca = await makeCa('Uploaded Test CA');
  uploadedCa = ca.certPem;
  const mine = await issueCert(ca, [domain]);
  writeFileSync(path.join(tmp, 'cert.pem'), mine.certPem + ca.certPem);
  writeFileSync(path.join(tmp, 'key.pem'), mine.keyPem);
  const added = await cli(['certs:add', app, path.join(tmp, 'cert.pem'), path.join(tmp, 'key.pem')]);
  assert.equal(added.code, 0, added.out);
  assert.doesNotMatch(added.out, /PRIVATE KEY/);
  const res = await https(domain, ca.certPem);
  assert.equal(res.status, 200);
  assert.equal(res.issuer, 'Uploaded Test CA');
  assert.equal((await hostView())!.source, 'uploaded');

  const stray = await issueCert(ca, ['elsewhere.example']);
  writeFileSync(path.join(tmp, 'stray.pem'), stray.certPem);
  writeFileSync(path.join(tmp, 'stray.key'), stray.keyPem);
  const refused = await cli(['certs:add', app, path.join(tmp, 'stray.pem'), path.join(tmp, 'stray.key')]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /covers none of/);
  assert.match((await cli(['certs:add', app, path.join(tmp, 'cert.pem'), path.join(tmp, 'stray.key')])).out, /does not belong to any certificate/);
});

test('SLIPWAY_HTTPS_REDIRECT=1 sends HTTP to HTTPS (challenges excepted) and HTTPS answers carry HSTS', async () => {
  const set = await cli(['config:set', app, 'SLIPWAY_HTTPS_REDIRECT=1']);
  assert.equal(set.code, 0, set.out);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get({ host: '127.0.0.1', port: s.config.httpPort, path: '/x?y=1', headers: { host: domain } }, resolve).on('error', reject),
  );
  res.resume();
  assert.equal(res.statusCode, 301);
  assert.equal(res.headers.location, `https://${domain}:${s.config.httpsPort}/x?y=1`);
  assert.equal((await getViaProxy(s.config.httpPort, domain, '/.well-known/acme-challenge/none')).status, 404, 'challenges stay on HTTP');
  const secure = await https(domain, uploadedCa);
  assert.equal(secure.headers['strict-transport-security'], 'max-age=63072000');
  assert.match((await cli(['certs', app])).stdout, /yes/);
});

test('the API and webhooks are served over HTTPS on SLIPWAY_API_DOMAIN with an ACME certificate', async () => {
  const health = await eventually('the API over HTTPS', async () => {
    const r = await https(apiDomain, pebble.rootPem, '/healthz');
    return r.status === 200 && r;
  });
  assert.match(health.body, /"ok":true/);
  const hooks = JSON.parse((await cli(['webhooks', app, '--json'])).stdout) as { github: string };
  assert.equal(hooks.github, `https://${apiDomain}:${s.config.httpsPort}/webhooks/github/${app}`);
});

test('removing a domain removes its route and its certificates', async () => {
  const sealed = () => readdirSync(path.join(s.dataDir, 'certs')).filter((f) => f.endsWith('.pem.sealed')).length;
  const before = sealed();
  const removed = await cli(['domains:remove', app, domain]);
  assert.equal(removed.code, 0, removed.out);
  assert.equal((await getViaProxy(s.config.httpPort, domain)).status, 404);
  const name = await new Promise<string>((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port: s.config.httpsPort, servername: domain, rejectUnauthorized: false }, () => {
      resolve(c.getPeerCertificate().subject.CN as string);
      c.end();
    });
    c.on('error', reject);
  });
  assert.equal(name, 'slipway-default.invalid', 'the name falls back to the default certificate');
  assert.equal((await hostView()), undefined);
  assert.ok(sealed() < before - 1, 'its ACME and uploaded certificates are deleted');
  assert.equal((await cli(['domains:remove', app, `${app}.${s.config.appsDomain}`])).code, 1, 'the default address cannot be removed');
});
