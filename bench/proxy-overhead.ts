// Proxy overhead benchmark: one small Node backend, reached three ways — through Slipway's
// HAProxy route (the real adapter, Host routing + a ready slot), straight, and through a plain
// nginx reverse proxy (HTTP/1.1 + upstream keepalive). wrk -t2 -c20 --latency against each,
// loopback only; prints requests/s and p99 latency side by side from one run, then cleans up.
// On a shared 2-core machine one wrk run swings a lot; `rounds` > 1 interleaves the three paths
// and reports each one's median.
// Run: npx tsx bench/proxy-overhead.ts [seconds=5] [rounds=1]   (needs wrk, nginx, haproxy: `npm run up`
// installs them; exits 1 when a request through HAProxy failed)
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/log.js';
import { Proxy } from '../src/proxy/haproxy.js';
import { freePort } from '../test/helpers/server.js';
import { benchDir, median, runBench, startBackend, startNginx, tearDown, wrk, type WrkResult } from './lib/loadgen.js';
import { HAPROXY, NGINX, WRK } from './lib/needs.js';

const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Math.max(1, Number(process.argv[3] ?? 1));
const HOST = 'bench.apps.test';
const BACKEND = 'bench_web';

async function main(): Promise<number> {
  const dir = await benchDir('proxy');
  let backend: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  let proxy: Proxy | undefined;
  try {
    const b = await startBackend();
    backend = b.child;
    const haproxyPort = await freePort();
    proxy = new Proxy({ haproxyBin: process.env.SLIPWAY_HAPROXY_BIN ?? 'haproxy', dir: path.join(dir, 'haproxy'), httpPort: haproxyPort, bindAddress: '127.0.0.1', logger: silentLogger() });
    await proxy.start();
    await proxy.ensureBackends([{ name: BACKEND, slotsPerColor: 4 }]);
    await proxy.route(HOST, BACKEND);
    await proxy.setColor(BACKEND, 'blue', [{ addr: '127.0.0.1', port: b.port }]);
    const nginxPort = await freePort();
    nginx = await startNginx(path.join(dir, 'nginx'), nginxPort, b.port);

    const paths = [
      ['direct to backend', b.port],
      ["Slipway's HAProxy", haproxyPort],
      ['nginx (keepalive)', nginxPort],
    ] as const;
    const results = paths.map(() => [] as WrkResult[]);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, [name, port]] of paths.entries()) {
        process.stdout.write(`round ${round}/${ROUNDS}, wrk ${SECONDS}s: ${name}…\n`);
        results[i]!.push(await wrk(`http://127.0.0.1:${port}/`, SECONDS, [`Host: ${HOST}`]));
      }
    }
    const rows = paths.map(([name], i) => ({
      name,
      rps: median(results[i]!.map((r) => r.rps)),
      p99: median(results[i]!.map((r) => r.p99)),
      errors: results[i]!.reduce((a, r) => a + r.errors, 0),
    }));
    const direct = rows[0]!.rps;
    const what = ROUNDS > 1 ? `median of ${ROUNDS} interleaved rounds` : 'one run each';
    console.log(`\nproxy overhead: wrk -t2 -c20 -d${SECONDS}s --latency, keep-alive, loopback, ${os.cpus().length} CPUs, ${what}`);
    console.log(`${'path'.padEnd(20)}${'requests/s'.padStart(12)}${'vs direct'.padStart(11)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}`);
    for (const r of rows)
      console.log(`${r.name.padEnd(20)}${r.rps.toFixed(0).padStart(12)}${((r.rps / direct).toFixed(2) + '×').padStart(11)}${r.p99.toFixed(2).padStart(10)}${String(r.errors).padStart(8)}`);
    console.log(`HAProxy / nginx throughput: ${(rows[1]!.rps / rows[2]!.rps).toFixed(2)}×`);
    return rows[1]!.errors > 0 ? 1 : 0;
  } finally {
    await tearDown(proxy, [nginx, backend], dir);
  }
}

runBench(main, { bench: 'proxy-overhead', needs: [WRK, NGINX, HAPROXY] });
