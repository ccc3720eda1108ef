// HTTPS on the real haproxy binary: certificates added, replaced and removed through the
// Runtime API (no reload, no failed request under keep-alive load), SNI, HTTP/2 by ALPN, TLS
// 1.2+ only, certificates kept across a reload and adopted after a restart, ACME challenges and
// HTTP → HTTPS redirect with HSTS from their maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { silentLogger } from '../../src/log.js';
import { Proxy } from '../../src/proxy/haproxy.js';
import { certPaths, ProxyCerts, tlsListener } from '../../src/proxy/haproxy-certs.js';
import { LiveMap } from '../../src/proxy/live-map.js';
import { sendCommand } from '../../src/proxy/runtime-api.js';
import { parseShowProc } from '../../src/proxy/commands.js';
import { defaultCertificate } from '../../src/certs/default-cert.js';
import { getViaHttps, getViaProxy, httpsTrafficDuring } from '../helpers/http.js';
import { issueCert, makeCa, type TestCa } from '../helpers/certs.js';
import { freePort } from '../helpers/server.js';

const HAPROXY = process.env.SLIPWAY_HAPROXY_BIN ?? 'haproxy';
const BE = 'site_web';
const HOST = 'www.site.test';

interface Fixture {
  proxy: Proxy;
  certs: ProxyCerts;
  challenges: LiveMap;
  redirects: LiveMap;
  httpPort: number;
  httpsPort: number;
  ca: TestCa;
  runtimeDir: string;
  reloads(): Promise<number>;
  /** Another adapter pair over the same directories, as a restarted Slipway makes. */
  restart(): Promise<{ proxy: Proxy; certs: ProxyCerts }>;
}

async function withTls(t: { name: string }, fn: (f: Fixture) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-tls-'));
  const runtimeDir = path.join(dir, 'runtime');
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const srv = http.createServer((req, res) => res.end(`app ${req.headers['x-forwarded-proto']}`));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const paths = certPaths(runtimeDir);
  const proxies: Proxy[] = [];
  const make = () => {
    const listener = tlsListener(httpsPort, paths, path.join(dir, 'haproxy'), '127.0.0.1');
    const proxy = new Proxy({ haproxyBin: HAPROXY, dir: path.join(dir, 'haproxy'), httpPort, bindAddress: '127.0.0.1', tls: listener, logger: silentLogger() });
    proxies.push(proxy);
    const exclusive = <T>(f: () => Promise<T>) => proxy.exclusive(f);
    const certs = new ProxyCerts({ adminSocket: proxy.paths.adminSocket, paths, exclusive, logger: silentLogger() });
    return { proxy, certs, challenges: new LiveMap(proxy.paths.adminSocket, listener.challengeMap, exclusive), redirects: new LiveMap(proxy.paths.adminSocket, listener.redirectMap, exclusive) };
  };
  const first = make();
  try {
    await first.certs.prepare(defaultCertificate, new Map());
    await first.challenges.prepare(new Map());
    await first.redirects.prepare(new Map());
    await first.proxy.start();
    await first.proxy.ensureBackends([{ name: BE, slotsPerColor: 1 }]);
    await first.proxy.route(HOST, BE);
    await first.proxy.route('other.site.test', BE);
    await first.proxy.setColor(BE, 'blue', [{ addr: '127.0.0.1', port: (srv.address() as net.AddressInfo).port }]);
    await fn({
      ...first,
      httpPort,
      httpsPort,
      ca: await makeCa(),
      runtimeDir,
      reloads: async () => parseShowProc(await sendCommand(first.proxy.paths.masterSocket, 'show proc')).reloads,
      async restart() {
        const again = make();
        await again.certs.prepare(defaultCertificate, new Map());
        await again.proxy.start();
        return again;
      },
    });
  } catch (e) {
    throw new Error(`${t.name}: ${(e as Error).message}`, { cause: e });
  } finally {
    await proxies.at(-1)!.stop().catch(() => undefined);
    srv.closeAllConnections();
    srv.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Handshake only: what certificate and protocol the server picks for `servername`. */
function handshake(port: number, servername: string, opts: tls.ConnectionOptions = {}): Promise<{ alpn: string | false; fingerprint: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...opts }, () => {
      const r = { alpn: s.alpnProtocol ?? false, fingerprint: s.getPeerCertificate().fingerprint.replace(/:/g, ''), protocol: s.getProtocol() };
      s.end();
      resolve(r);
    });
    s.on('error', reject);
  });
}

const sha1 = (pem: string) => new X509Certificate(pem).fingerprint.replace(/:/g, '');

test('a certificate added through the Runtime API serves its name by SNI, HTTP/2 by ALPN, with no reload', async (t) => {
  await withTls(t, async ({ certs, httpsPort, ca, reloads, runtimeDir }) => {
    const before = await reloads();
    const cert = await issueCert(ca, [HOST]);
    const plan = await certs.apply(new Map([[HOST, cert.pem]]));
    assert.deepEqual(plan, { add: [HOST], replace: [], remove: [] });

    const res = await getViaHttps(httpsPort, HOST, { ca: ca.certPem });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'app https', 'the app learns the scheme from X-Forwarded-Proto');
    assert.deepEqual(res.names, [HOST]);
    assert.equal((await handshake(httpsPort, HOST, { ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'h2');
    assert.equal((await handshake(httpsPort, HOST)).protocol, 'TLSv1.3');
    await assert.rejects(handshake(httpsPort, HOST, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }), 'TLS 1.1 is refused');

    const other = await handshake(httpsPort, 'other.site.test');
    assert.notEqual(other.fingerprint, sha1(cert.certPem), 'a name without a certificate gets the default one');
    await assert.rejects(getViaHttps(httpsPort, 'other.site.test', { ca: ca.certPem }), /certificate|self.signed/i);
    assert.equal(await reloads(), before, 'adding a certificate must not reload HAProxy');

    const file = path.join(runtimeDir, 'names', `${HOST}.pem`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(await readFile(path.join(runtimeDir, 'crt-list'), 'utf8'), new RegExp(`${file} ${HOST}`));
  });
});

test('replacing a certificate 20 times under HTTPS load (keep-alive and new handshakes) fails no request and never reloads', async (t) => {
  await withTls(t, async ({ certs, httpsPort, ca, reloads }) => {
    const pems = [await issueCert(ca, [HOST]), await issueCert(ca, [HOST])];
    await certs.apply(new Map([[HOST, pems[0]!.pem]]));
    const before = await reloads();
    const { traffic } = await httpsTrafficDuring(httpsPort, HOST, ca.certPem, async () => {
      for (let i = 1; i <= 20; i++) {
        const plan = await certs.apply(new Map([[HOST, pems[i % 2]!.pem]]));
        assert.deepEqual(plan.replace, [HOST]);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    assert.deepEqual(traffic.failures, []);
    assert.ok(traffic.total > 20, `requests made: ${traffic.total}`);
    assert.equal(await reloads(), before);
    assert.equal((await getViaHttps(httpsPort, HOST, { ca: ca.certPem })).fingerprint, sha1(pems[0]!.certPem), 'new connections get the last one');
  });
});

test('certificates survive a reload and are adopted by a restarted Slipway; removal serves the default again', async (t) => {
  await withTls(t, async ({ proxy, certs, httpsPort, ca, restart }) => {
    const cert = await issueCert(ca, [HOST]);
    await certs.apply(new Map([[HOST, cert.pem]]));
    assert.equal((await proxy.ensureBackends([{ name: BE, slotsPerColor: 1 }, { name: 'more_web', slotsPerColor: 1 }])).reloaded, true);
    assert.equal((await getViaHttps(httpsPort, HOST, { ca: ca.certPem })).fingerprint, sha1(cert.certPem), 'served after a reload');

    const again = await restart();
    // The restarted adapter reads HAProxy's live certificates: the same set is no change.
    assert.deepEqual(await again.certs.apply(new Map([[HOST, cert.pem]])), { add: [], replace: [], remove: [] });
    assert.deepEqual(await again.certs.apply(new Map()), { add: [], replace: [], remove: [HOST] });
    assert.notEqual((await handshake(httpsPort, HOST)).fingerprint, sha1(cert.certPem));
  });
});

test('ACME challenges are answered from the map before any app; redirected hosts get 301 to HTTPS and HSTS', async (t) => {
  await withTls(t, async ({ certs, challenges, redirects, httpPort, httpsPort, ca }) => {
    await challenges.set('tok-EN_123', 'tok-EN_123.thumb_print');
    const challenge = await getViaProxy(httpPort, HOST, '/.well-known/acme-challenge/tok-EN_123');
    assert.deepEqual(challenge, { status: 200, body: 'tok-EN_123.thumb_print' });
    assert.equal((await getViaProxy(httpPort, HOST, '/.well-known/acme-challenge/other')).status, 404, 'an unknown token never reaches the app');
    await challenges.delete('tok-EN_123');
    assert.equal((await getViaProxy(httpPort, HOST, '/.well-known/acme-challenge/tok-EN_123')).status, 404);

    await certs.apply(new Map([[HOST, (await issueCert(ca, [HOST])).pem]]));
    assert.equal((await getViaProxy(httpPort, HOST)).status, 200, 'no redirect until asked');
    assert.equal((await getViaHttps(httpsPort, HOST, { ca: ca.certPem })).headers['strict-transport-security'], undefined);
    await redirects.replace(new Map([[HOST, '1']]));
    const redirect = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: httpPort, path: '/a/b?c=1', headers: { host: `${HOST}:${httpPort}` } }, resolve).on('error', reject),
    );
    redirect.resume();
    assert.equal(redirect.statusCode, 301);
    assert.equal(redirect.headers.location, `https://${HOST}:${httpsPort}/a/b?c=1`);
    assert.equal((await getViaHttps(httpsPort, HOST, { ca: ca.certPem })).headers['strict-transport-security'], 'max-age=63072000');
    assert.equal((await getViaProxy(httpPort, 'other.site.test')).status, 200, 'other hosts are not redirected');
  });
});
