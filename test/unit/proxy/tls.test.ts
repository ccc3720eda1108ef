// The HTTPS config and the certificate commands: what HAProxy is told, as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHaproxyConfig, type HaproxyConfigInput } from '../../../src/proxy/haproxy-config.js';
import {
  checkPem,
  installCommands,
  parseCertFingerprint,
  parseCrtList,
  planCerts,
  removeCommands,
  renderCrtList,
  setMapEntryCommand,
} from '../../../src/proxy/tls-commands.js';
import { sendPayload } from '../../../src/proxy/runtime-api.js';

const tls = {
  port: 8443,
  defaultCert: '/run/tls/default.pem',
  crtList: '/run/tls/crt-list',
  challengeMap: '/data/haproxy/acme-challenges.map',
  redirectMap: '/data/haproxy/https-redirects.map',
};
const base: HaproxyConfigInput = { httpPort: 8080, adminSocket: '/data/haproxy/admin.sock', mapFile: '/data/haproxy/hosts.map', backends: [] };
const lines = (cfg: string) => cfg.split('\n').map((l) => l.trim());

test('HTTPS binds beside HTTP with a default certificate, the crt-list, and h2 + http/1.1 by ALPN', () => {
  const cfg = lines(renderHaproxyConfig({ ...base, tls }));
  assert.ok(cfg.includes('bind :8443 ssl crt /run/tls/default.pem crt-list /run/tls/crt-list alpn h2,http/1.1'));
  assert.ok(cfg.includes('bind :8080'));
  assert.ok(!lines(renderHaproxyConfig(base)).some((l) => l.includes('ssl')), 'no TLS unless asked');
});

test("Mozilla's intermediate settings: TLS 1.2+, AEAD ciphers, no session tickets", () => {
  const cfg = lines(renderHaproxyConfig({ ...base, tls }));
  assert.ok(cfg.includes('ssl-default-bind-options prefer-client-ciphers no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets'));
  const ciphers = cfg.find((l) => l.startsWith('ssl-default-bind-ciphers '))!.split(' ')[1]!.split(':');
  assert.ok(ciphers.every((c) => /GCM|CHACHA20/.test(c)), ciphers.join(':'));
  assert.ok(cfg.includes('ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256'));
});

test('challenges are answered before any app; redirect and HSTS only for hosts in the redirect map', () => {
  const cfg = lines(renderHaproxyConfig({ ...base, tls }));
  const at = (prefix: string) => cfg.findIndex((l) => l.startsWith(prefix));
  assert.ok(at('http-request return status 200') < at('use_backend'), 'the challenge answer comes before app routing');
  assert.ok(cfg.includes('http-request redirect location https://%[var(txn.host)]:8443%[pathq] code 301 if !{ ssl_fc } { var(txn.host),map(/data/haproxy/https-redirects.map) -m found }'));
  assert.ok(cfg.includes('http-response set-header Strict-Transport-Security "max-age=63072000" if { ssl_fc } { var(txn.host),map(/data/haproxy/https-redirects.map) -m found }'));
  assert.ok(cfg.includes('http-request set-header X-Forwarded-Proto http if !{ ssl_fc }'), "a client's own X-Forwarded-Proto is replaced");
  assert.ok(lines(renderHaproxyConfig({ ...base, tls: { ...tls, port: 443 } })).some((l) => l.includes('https://%[var(txn.host)]%[pathq]')), 'no :443 in the Location');
});

test('file paths that could break the config are refused', () => {
  assert.throws(() => renderHaproxyConfig({ ...base, tls: { ...tls, crtList: '/run/tls/crt list' } }), /cannot be used by HAProxy/);
  assert.throws(() => renderHaproxyConfig({ ...base, tls: { ...tls, bindAddress: 'example.com' } }), /invalid TLS bind address/);
});

const PEM = '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nREVG\n-----END PRIVATE KEY-----\n';

test('a new name: store, PEM, commit, crt-list line; a known one: set + commit only (never a gap)', () => {
  const e = { file: '/run/tls/names/www.shop.test.pem', sni: 'www.shop.test' };
  assert.deepEqual(
    installCommands('/run/tls/crt-list', e, PEM, false).map((c) => [c.line, c.payload?.split('\n').length ?? 0]),
    [
      ['new ssl cert /run/tls/names/www.shop.test.pem', 0],
      ['set ssl cert /run/tls/names/www.shop.test.pem <<', 6],
      ['commit ssl cert /run/tls/names/www.shop.test.pem', 0],
      ['add ssl crt-list /run/tls/crt-list <<', 1],
    ],
  );
  assert.deepEqual(installCommands('/run/tls/crt-list', e, PEM, true).map((c) => c.line.split(' ').slice(0, 3).join(' ')), ['set ssl cert', 'commit ssl cert']);
  assert.equal(installCommands('/run/tls/crt-list', e, PEM, false)[3]!.payload, '/run/tls/names/www.shop.test.pem www.shop.test');
  assert.deepEqual(removeCommands('/run/tls/crt-list', e.file).map((c) => c.line), [
    'del ssl crt-list /run/tls/crt-list /run/tls/names/www.shop.test.pem',
    'del ssl cert /run/tls/names/www.shop.test.pem',
  ]);
});

test("HAProxy's answers decide success (the socket always says yes)", () => {
  const [created, set, commit, add] = installCommands('/l', { file: '/f.pem', sni: 'a.test' }, PEM, false);
  assert.ok(created!.ok.test("New empty certificate store '/f.pem'!") && created!.ok.test("Certificate '/f.pem' already exists!"));
  assert.ok(set!.ok.test('Transaction created for certificate /f.pem!') && !set!.ok.test("unable to load certificate from file '/f.pem'."));
  assert.ok(commit!.ok.test('Committing /f.pem\nSuccess!') && !commit!.ok.test('No ongoing transaction!'));
  assert.ok(add!.ok.test("Inserting certificate '/f.pem' in crt-list '/l'.\nSuccess!") && !add!.ok.test("Can't edit the crt-list: certificate '/f.pem' is empty!"));
});

test('a PEM with anything but armour and base64 never reaches the socket', () => {
  assert.equal(checkPem(PEM.replace(/\n/g, '\r\n') + '\n\n'), PEM.trim());
  assert.throws(() => checkPem(PEM + 'show ssl cert\n'), /not plain PEM/);
  assert.throws(() => checkPem('-----BEGIN PRIVATE KEY-----\nREVG\n-----END PRIVATE KEY-----'), /no certificate/);
  return assert.rejects(sendPayload('/nonexistent.sock', 'set ssl cert /f <<', 'a\n\nb'), /empty line/);
});

test("crt-list: HAProxy's listing (options, a NUL, line numbers) parses back to file + SNI", () => {
  const shown = '# /l\n/f/a.pem:1 [alpn h2,http/1.1\u0000] a.test\n/f/b.pem:2 b.test\n\n';
  assert.deepEqual(parseCrtList(shown), [{ file: '/f/a.pem', sni: 'a.test' }, { file: '/f/b.pem', sni: 'b.test' }]);
  const file = renderCrtList([{ file: '/f/b.pem', sni: 'b.test' }, { file: '/f/a.pem', sni: 'a.test' }]);
  assert.equal(file, '/f/a.pem a.test\n/f/b.pem b.test\n');
  assert.deepEqual(parseCrtList(file), [{ file: '/f/a.pem', sni: 'a.test' }, { file: '/f/b.pem', sni: 'b.test' }]);
  assert.equal(parseCertFingerprint('Filename: /f.pem\nSHA1 FingerPrint: E098E48BDF\nSubject: /CN=a'), 'E098E48BDF');
  assert.equal(parseCertFingerprint("Can't display the certificate: Not found"), null);
});

test('planCerts: add the new, replace the changed, remove the gone, leave the rest', () => {
  const live = new Map([['a.test', 'A'], ['b.test', 'B'], ['c.test', 'C']]);
  const desired = new Map([['a.test', 'A'], ['b.test', 'B2'], ['d.test', 'D']]);
  assert.deepEqual(planCerts(live, desired), { add: ['d.test'], replace: ['b.test'], remove: ['c.test'] });
  assert.deepEqual(planCerts(desired, desired), { add: [], replace: [], remove: [] });
});

test('map entries take tokens, key authorizations and hosts, nothing else', () => {
  assert.equal(setMapEntryCommand('/m', 'tok-EN_1', 'tok-EN_1.thumb'), 'set map /m tok-EN_1 tok-EN_1.thumb');
  assert.throws(() => setMapEntryCommand('/m', 'a b', '1'), /invalid map entry/);
  assert.throws(() => setMapEntryCommand('/m', 'a', '1;show'), /invalid map entry/);
});
