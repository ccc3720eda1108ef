// Proxy overhead benchmark: one small Node backend, reached three ways — through Slipway's
// HAProxy route (the real adapter, Host routing + a ready slot), straight, and through a plain
// nginx reverse proxy (HTTP/1.1 + upstream keepalive). wrk -t2 -c20 --latency against each,
// loopback only; prints requests/s and p99 latency side by side from one run, then cleans up.
// On a shared 2-core machine one wrk run swings a lot; `rounds` > 1 interleaves the three paths
// and reports each one's median.
// Run: npx tsx bench/proxy-overhead.ts [seconds=5] [rounds=1]   (needs wrk, nginx, haproxy:
// `npm run up` installs them; exits 1 when a request through HAProxy failed)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../src/log.js';
import { Proxy } from '../src/proxy/haproxy.js';
import { freePort } from '../test/helpers/server.js';
import { HAPROXY, NGINX, WRK, requireAll } from './needs.js';

const run = promisify(execFile);
const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Math.max(1, Number(process.argv[3] ?? 1));
const HOST = 'bench.apps.test';
const BACKEND = 'bench_web';

// The backend runs in its own process so this script's event loop is not part of the figures.
const BACKEND_CODE = `
const http = require('node:http');
const body = Buffer.from('hello from the backend\\n');
const srv = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); });
srv.keepAliveTimeout = 65000;
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
`;

interface WrkResult {
  rps: number;
  /** Milliseconds. */
  p99: number;
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

async function wrk(url: string): Promise<WrkResult> {
  const { stdout } = await run('wrk', ['-t2', '-c20', `-d${SECONDS}s`, '--latency', '-H', `Host: ${HOST}`, url], { timeout: (SECONDS + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const m = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(stdout);
  const p99 = m ? Number(m[1]) * (UNIT_MS[m[2]!] ?? NaN) : NaN;
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = non2xx + (se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p99, errors };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

function startBackend(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', BACKEND_CODE], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
  });
}

async function startNginx(dir: string, port: number, backendPort: number): Promise<ChildProcess> {
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `daemon off;
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream app { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return child;
}

async function main(): Promise<number> {
  await requireAll('proxy-overhead', [WRK, NGINX, HAPROXY]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-proxy-'));
  await chmod(dir, 0o755); // nginx workers may run as nobody
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
        results[i]!.push(await wrk(`http://127.0.0.1:${port}/`));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
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
    await proxy?.stop().catch((e: unknown) => console.error('could not stop HAProxy:', e));
    nginx?.kill('SIGTERM');
    backend?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
