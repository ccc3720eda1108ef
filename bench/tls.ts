// HTTPS benchmark: one Node backend behind Slipway's HAProxy (the real adapter: TLS bind,
// certificate in the crt-list through the Runtime API, Host routing) and behind nginx with the
// same certificate and ciphers, in the same run. wrk -t2 -c20 --latency over HTTPS, with
// keep-alive and with a new TLS connection per request (`Connection: close`), and plain HTTP
// through both for comparison (the TLS cost apart from the proxying cost); then failed
// requests while the certificate is rotated 20 times: Slipway through the Runtime API (set ssl
// cert + commit), nginx the only way it can (new file + reload, SIGHUP).
// On a shared machine one wrk run swings a lot: `rounds` > 1 interleaves the paths and reports
// each one's median.
// Run: npx tsx bench/tls.ts [seconds=5] [rounds=1]
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/log.js';
import { Proxy } from '../src/proxy/haproxy.js';
import { proxyTls } from '../src/proxy/haproxy-certs.js';
import { MOZILLA_INTERMEDIATE } from '../src/proxy/tls-config.js';
import { defaultCertificate } from '../src/certs/default-cert.js';
import { freePort } from '../test/helpers/server.js';
import { issueCert, makeCa, type IssuedCert } from '../test/helpers/certs.js';
import { benchDir, median, runBench, startBackend, startNginx, tearDown, wrk, type WrkResult } from './lib/loadgen.js';
import { HAPROXY, NGINX, WRK } from './lib/needs.js';

const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Math.max(1, Number(process.argv[3] ?? 1));
const ROTATIONS = 20;
// wrk sends the URL's host as SNI; `localhost` resolves to 127.0.0.1 here.
const HOST = 'localhost';
const BACKEND = 'bench_web';

/** Runs wrk for SECONDS while `rotate` is called ROTATIONS times, evenly spread. */
async function duringRotations(url: string, headers: string[], rotate: (i: number) => Promise<void>): Promise<WrkResult> {
  const load = wrk(url, SECONDS, headers);
  const gap = (SECONDS * 1000 * 0.8) / ROTATIONS;
  await new Promise((r) => setTimeout(r, SECONDS * 100));
  for (let i = 0; i < ROTATIONS; i++) {
    await rotate(i);
    await new Promise((r) => setTimeout(r, gap));
  }
  return load;
}

async function main() {
  const dir = await benchDir('tls');
  let backend: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  let proxy: Proxy | undefined;
  try {
    const ca = await makeCa('Bench CA');
    const certs: IssuedCert[] = [await issueCert(ca, [HOST]), await issueCert(ca, [HOST])];
    const b = await startBackend();
    backend = b.child;

    const haproxyPort = await freePort();
    const tls = proxyTls(path.join(dir, 'haproxy'), await freePort(), path.join(dir, 'tls'), (fn) => proxy!.exclusive(fn), silentLogger());
    const listener = { ...tls.listener, bindAddress: '127.0.0.1' };
    proxy = new Proxy({ haproxyBin: process.env.SLIPWAY_HAPROXY_BIN ?? 'haproxy', dir: path.join(dir, 'haproxy'), httpPort: haproxyPort, bindAddress: '127.0.0.1', tls: listener, logger: silentLogger() });
    await tls.certs.prepare(defaultCertificate, new Map());
    await tls.challenges.prepare(new Map());
    await tls.redirects.prepare(new Map());
    await proxy.start();
    await tls.certs.apply(new Map([[HOST, certs[0]!.pem]]));
    await proxy.ensureBackends([{ name: BACKEND, slotsPerColor: 4 }]);
    await proxy.route(HOST, BACKEND);
    await proxy.setColor(BACKEND, 'blue', [{ addr: '127.0.0.1', port: b.port }]);

    const nginxPort = await freePort();
    const certFile = path.join(dir, 'nginx-cert.pem');
    const keyFile = path.join(dir, 'nginx-key.pem');
    const writeNginxCert = async (c: IssuedCert) => {
      await writeFile(certFile, `${c.certPem}\n${ca.certPem}`);
      await writeFile(keyFile, c.keyPem);
    };
    await writeNginxCert(certs[0]!);
    const nginxHttpPort = await freePort();
    nginx = await startNginx(path.join(dir, 'nginx'), nginxPort, b.port, { cert: certFile, key: keyFile, ciphers: MOZILLA_INTERMEDIATE.ciphers, httpPort: nginxHttpPort });

    const targets = [
      ["Slipway's HAProxy", `https://${HOST}:${listener.port}/`],
      ['nginx', `https://${HOST}:${nginxPort}/`],
    ] as const;
    // Plain HTTP through the same two, so the TLS cost can be told from the proxying cost.
    const modes = [
      ['keep-alive', [], (url: string) => url],
      ['new connection each', ['Connection: close'], (url: string) => url],
      ['keep-alive, plain HTTP', [], (url: string) => (url.includes(`:${listener.port}/`) ? `http://${HOST}:${haproxyPort}/` : `http://${HOST}:${nginxHttpPort}/`)],
    ] as const;
    const runs = new Map<string, WrkResult[]>();
    for (let round = 1; round <= ROUNDS; round++)
      for (const [mode, headers, at] of modes)
        for (const [target, url] of targets) {
          process.stdout.write(`round ${round}/${ROUNDS}, wrk ${SECONDS}s, ${mode}: ${target}…\n`);
          const key = `${target}|${mode}`;
          runs.set(key, [...(runs.get(key) ?? []), await wrk(at(url), SECONDS, [...headers])]);
        }
    const rows = [...runs].map(([key, rs]) => {
      const [target, mode] = key.split('|') as [string, string];
      return { target, mode, r: { rps: median(rs.map((r) => r.rps)), p99: median(rs.map((r) => r.p99)), errors: rs.reduce((a, r) => a + r.errors, 0), requests: 0 } };
    });

    process.stdout.write(`${ROTATIONS} rotations during wrk ${SECONDS}s…\n`);
    const rotateHaproxy = async (i: number) => void (await tls.certs.apply(new Map([[HOST, certs[(i + 1) % 2]!.pem]])));
    const nginxMaster = Number((await readFile(path.join(dir, 'nginx', 'nginx.pid'), 'utf8')).trim());
    const rotateNginx = async (i: number) => {
      await writeNginxCert(certs[(i + 1) % 2]!);
      process.kill(nginxMaster, 'SIGHUP');
    };
    const rotations: { target: string; mode: string; r: WrkResult }[] = [];
    for (const [mode, headers] of modes.slice(0, 2)) {
      rotations.push({ target: "Slipway's HAProxy (Runtime API)", mode, r: await duringRotations(targets[0][1], [...headers], rotateHaproxy) });
      rotations.push({ target: 'nginx (new file + reload)', mode, r: await duringRotations(targets[1][1], [...headers], rotateNginx) });
    }

    const what = ROUNDS > 1 ? `median of ${ROUNDS} interleaved rounds` : 'one run each';
    console.log(`\nwrk -t2 -c20 -d${SECONDS}s --latency, loopback, ${os.cpus().length} CPUs, ECDSA P-256 certificate, TLS 1.3 (plain HTTP for comparison), ${what}`);
    console.log(`${'path'.padEnd(20)}${'connections'.padEnd(24)}${'requests/s'.padStart(12)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}`);
    for (const { target, mode, r } of rows) console.log(`${target.padEnd(20)}${mode.padEnd(24)}${r.rps.toFixed(0).padStart(12)}${r.p99.toFixed(2).padStart(10)}${String(r.errors).padStart(8)}`);
    for (const [mode] of modes) {
      const [h, n] = rows.filter((r) => r.mode === mode);
      console.log(`HAProxy / nginx, ${mode}: ${(h!.r.rps / n!.r.rps).toFixed(2)}× requests/s`);
    }
    console.log(`\nFailed requests during ${ROTATIONS} certificate rotations (goal: 0)`);
    console.log(`${'path'.padEnd(34)}${'connections'.padEnd(22)}${'requests'.padStart(10)}${'failed'.padStart(8)}`);
    for (const { target, mode, r } of rotations) console.log(`${target.padEnd(34)}${mode.padEnd(22)}${String(r.requests).padStart(10)}${String(r.errors).padStart(8)}`);
  } finally {
    await tearDown(proxy, [nginx, backend], dir);
  }
}

runBench(main, { bench: 'tls', needs: [WRK, NGINX, HAPROXY] });
