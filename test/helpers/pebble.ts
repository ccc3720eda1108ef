// Let's Encrypt's test ACME server for integration tests: Debian's `pebble` with its API on a
// certificate the test makes, HTTP-01 validation sent to the port under test, and every name
// resolved to 127.0.0.1 by `pebble-challtestsrv` (which can also make a name fail: SERVFAIL).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { issueCert, makeCa } from './certs.js';
import { freePort } from './server.js';

export interface Pebble {
  directory: string;
  /** CA of pebble's own API certificate (SLIPWAY_ACME_CA_FILE). */
  apiCaFile: string;
  /** Root that pebble's issued certificates chain to (what a client trusts). */
  rootPem: string;
  /** Makes DNS lookups of `host` fail (SERVFAIL), so validation fails; `clear` undoes it. */
  servfail(host: string): Promise<void>;
  clear(host: string): Promise<void>;
  stop(): Promise<void>;
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
}

/** Starts pebble validating HTTP-01 on `httpPort` of 127.0.0.1. */
export async function startPebble(httpPort: number): Promise<Pebble> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-pebble-'));
  const ca = await makeCa('Pebble API test CA');
  const api = await issueCert(ca, ['localhost'], { ips: ['127.0.0.1'] });
  const f = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
  const apiCaFile = f('api-ca.pem', ca.certPem);
  const [listen, mgmt, dns, dnsMgmt, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const config = f(
    'pebble.json',
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: f('api.pem', api.certPem),
        privateKey: f('api.key', api.keyPem),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const log = openSync(path.join(dir, 'pebble.log'), 'a');
  const children: ChildProcess[] = [];
  const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
    const c = spawn(cmd, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
    children.push(c);
    return c;
  };
  // One address per name (127.0.0.1, no AAAA): validation goes to the HAProxy under test.
  run('pebble-challtestsrv', ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dns}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsMgmt}`]);
  // No random sleeps or rejected nonces; no reused authorizations, so each order validates.
  run('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dns}`], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' });
  const stop = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const directory = `https://127.0.0.1:${listen}/dir`;
    for (let i = 0; ; i++) {
      const up = await get(directory, ca.certPem).then((r) => r.status === 200, () => false);
      const dnsUp = await fetch(`http://127.0.0.1:${dnsMgmt}/`).then(() => true, () => false);
      if (up && dnsUp) break;
      if (i > 200) throw new Error(`pebble did not start: ${readFileSync(path.join(dir, 'pebble.log'), 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const root = await get(`https://127.0.0.1:${mgmt}/roots/0`, ca.certPem);
    return {
      directory,
      apiCaFile,
      rootPem: root.body,
      servfail: (host) => post(`http://127.0.0.1:${dnsMgmt}/set-servfail`, { host: `${host}.` }),
      clear: (host) => post(`http://127.0.0.1:${dnsMgmt}/clear-servfail`, { host: `${host}.` }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
