// What the proxy benches share: a Node backend in its own process, nginx as the baseline, and
// wrk's figures (requests/s, p99, errors) parsed from its --latency report.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireAll, type Need } from './needs.js';

const run = promisify(execFile);

// The backend runs in its own process so the bench's event loop is not part of the figures.
const BACKEND_CODE = `
const http = require('node:http');
const body = Buffer.from('hello from the backend\\n');
const srv = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); });
srv.keepAliveTimeout = 65000;
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
`;

export interface WrkResult {
  rps: number;
  /** Milliseconds. */
  p99: number;
  /** Socket errors plus non-2xx/3xx answers. */
  errors: number;
  requests: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** `wrk -t2 -cN --latency` for `seconds`; `headers` e.g. `Host: …` or `Connection: close`. */
export async function wrk(url: string, seconds: number, headers: string[] = [], connections = 20): Promise<WrkResult> {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const { stdout } = await run('wrk', args, { timeout: (seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const m = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(stdout);
  const p99 = m ? Number(m[1]) * (UNIT_MS[m[2]!] ?? NaN) : NaN;
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = non2xx + (se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  return { rps, p99, errors, requests };
}

export async function waitForPort(port: number): Promise<void> {
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

export function startBackend(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', BACKEND_CODE], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
  });
}

/** nginx reverse proxy (HTTP/1.1 + upstream keepalive) on 127.0.0.1:port; with `tls`, HTTPS
 *  (HTTP/2 too) on that certificate, TLS 1.2+ and the same ciphers as Slipway's HAProxy, and
 *  plain HTTP on `tls.httpPort` if given. */
export async function startNginx(dir: string, port: number, backendPort: number, tls?: { cert: string; key: string; ciphers: string; httpPort?: number }): Promise<ChildProcess> {
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  const listen = tls
    ? `listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${tls.ciphers};
    ssl_session_tickets off;${tls.httpPort ? `\n    listen 127.0.0.1:${tls.httpPort};` : ''}`
    : `listen 127.0.0.1:${port};`;
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
    ${listen}
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

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Stops what a proxy bench started — HAProxy, nginx, the backend — and removes its directory. */
export async function tearDown(proxy: { stop(): Promise<void> } | undefined, children: (ChildProcess | undefined)[], dir: string): Promise<void> {
  await proxy?.stop().catch((e: unknown) => console.error('could not stop HAProxy:', e));
  for (const c of children) c?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  await rm(dir, { recursive: true, force: true });
}

/** Runs a bench's main and exits with the status it returns (0 when none; 1 for "a figure that
 *  must hold did not"), 1 with the error when it threw, 2 when something it needs is missing. */
export function runBench(main: () => Promise<void | number>, needs?: { bench: string; needs: Need[] }): void {
  (needs ? requireAll(needs.bench, needs.needs) : Promise.resolve()).then(main).then(
    (code) => process.exit(code ?? 0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/** A temp directory nginx's workers (maybe `nobody`) can read. */
export async function benchDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `slipway-bench-${name}-`));
  await chmod(dir, 0o755);
  return dir;
}
