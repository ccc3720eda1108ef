// A Redis of a test's own, for tests that kill or restart it: the machine's shared Redis on
// 6379 serves tests running in parallel and must never restart under them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PrivateRedis {
  url: string;
  start(): Promise<void>;
  /** SIGKILL: no chance to write anything more. */
  kill(): Promise<void>;
  /** `SHUTDOWN`: Redis flushes its append-only file and exits. */
  shutdown(): Promise<void>;
  /** Kills it if running and removes its data. */
  stop(): Promise<void>;
}

/** Started on a free port, append-only with no RDB snapshots as scripts/infra.sh runs Redis,
 *  plus an fsync on every write (`appendfsync always`) so even a SIGKILL loses no acknowledged job. */
export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-redis-'));
  let child: ChildProcess | undefined;
  const cli = (args: string[]) => run('redis-cli', ['-p', String(port), ...args]);
  const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));
  const r: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      for (let i = 0; i < 200; i++) {
        if ((await cli(['ping']).catch(() => ({ stdout: '' }))).stdout.trim() === 'PONG') return;
        if (child.exitCode !== null) break;
        await sleep(100);
      }
      throw new Error(`redis-server on port ${port} did not start`);
    },
    async kill() {
      const p = child!;
      p.kill('SIGKILL');
      await exited(p);
    },
    async shutdown() {
      const p = child!;
      await cli(['shutdown']).catch(() => undefined); // the connection closes as Redis exits
      await exited(p);
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) await r.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await r.start();
  return r;
}
