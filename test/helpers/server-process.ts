// Slipway as its own process (`slipway server`, from source), for tests that kill it the hard way and
// start it again on the same data directory, queue prefix and HTTP port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort, uniqueName } from './server.js';

export interface ServerProcess {
  url: string;
  token: string;
  dataDir: string;
  httpPort: number;
  /** fetch against the API with the admin token. */
  api(p: string, init?: RequestInit): Promise<Response>;
  /** The pid of `slipway server` (under `supervised`, the supervisor's child). */
  serverPid(): number;
  /** Starts (or starts again) the server process and waits until it answers. */
  start(): Promise<void>;
  /** Whether the process started last is still running (it did not crash). */
  running(): boolean;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Stops the server and the HAProxy it started, and removes the data directory. */
  cleanup(): Promise<void>;
}

/** `supervised`: run `slipway supervise`, which runs the server as its child and restarts it. */
const MACHINE_REDIS_PASSWORD = '/var/lib/slipway/redis.password';

export async function serverProcess(env: Record<string, string> = {}, opts: { supervised?: boolean } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-proc-'));
  const port = await freePort();
  const httpPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fullEnv = {
    ...process.env,
    SLIPWAY_DATA: dataDir,
    SLIPWAY_PORT: String(port),
    SLIPWAY_HTTP_PORT: String(httpPort),
    // HTTPS (port 443 by default) only for the tests that ask for it, with their own port.
    SLIPWAY_HTTPS_PORT: '0',
    SLIPWAY_QUEUE_PREFIX: uniqueName('p'),
    SLIPWAY_ALLOW_FILE_REPOS: '1',
    SLIPWAY_LOG_LEVEL: 'info',
    // The machine's Redis password (the default file is under SLIPWAY_DATA, the test's own dir).
    ...(existsSync(MACHINE_REDIS_PASSWORD) && !process.env.SLIPWAY_REDIS_PASSWORD_FILE ? { SLIPWAY_REDIS_PASSWORD_FILE: MACHINE_REDIS_PASSWORD } : {}),
    ...env,
  };
  let child: ChildProcess | null = null;
  const sp: ServerProcess = {
    url,
    token: '',
    dataDir,
    httpPort,
    api: (p, init = {}) =>
      fetch(url + p, { ...init, headers: { authorization: `Bearer ${sp.token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } }),
    async start() {
      const log = openSync(path.join(dataDir, 'server.log'), 'a');
      // node itself (not the tsx wrapper, which forks): a signal must reach the server process.
      const command = opts.supervised ? 'supervise' : 'server';
      child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), command], { cwd: ROOT, env: fullEnv, stdio: ['ignore', log, log] });
      const exited = new Promise<never>((_, reject) =>
        child!.once('exit', (code) => reject(new Error(`slipway server exited (${code}):\n${readFileSync(path.join(dataDir, 'server.log'), 'utf8').slice(-3000)}`))),
      );
      exited.catch(() => undefined);
      for (let i = 0; i < 600; i++) {
        const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
        if (up) break;
        await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]);
      }
      sp.token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    },
    serverPid: () => (opts.supervised ? Number(readFileSync(path.join(dataDir, 'run/slipway-server.pid'), 'utf8').trim()) : child?.pid ?? 0),
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    async kill(signal) {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      await gone;
      child = null;
    },
    async cleanup() {
      await sp.kill('SIGTERM');
      try {
        process.kill(Number(readFileSync(path.join(dataDir, 'haproxy/haproxy.pid'), 'utf8').trim()), 'SIGTERM');
      } catch {
        /* not running */
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return sp;
}
