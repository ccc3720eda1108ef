// The HAProxy daemon's lifecycle: find a running master (pid file + master socket), start one
// in master-worker mode, check a config with `haproxy -c`, reload through the master CLI, stop.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { checkPath } from './haproxy-config.js';
import { parseShowProc, type ProcInfo } from './commands.js';
import { sendCommand } from './runtime-api.js';

const run = promisify(execFile);

export interface HaproxyPaths {
  dir: string;
  config: string;
  map: string;
  adminSocket: string;
  masterSocket: string;
  pidFile: string;
  /** HAProxy's own start-up output (it has no stdout once daemonized). */
  logFile: string;
  /** The adapter's declared backends and the shape of the config HAProxy last loaded. */
  stateFile: string;
  /** Swarm mode: health probes of task addresses are relayed through this socket. */
  probeSocket: string;
}

export function haproxyPaths(dir: string): HaproxyPaths {
  const abs = path.resolve(dir);
  // `-S path,mode,600` takes bind options after commas, and Unix socket paths are at most 107 bytes.
  if (abs.includes(',')) throw new Error(`HAProxy directory ${abs} must not contain ","`);
  checkPath(abs);
  if (Buffer.byteLength(path.join(abs, 'master.sock')) > 100) throw new Error(`HAProxy directory ${abs} is too long for a Unix socket path`);
  return {
    dir: abs,
    config: path.join(abs, 'haproxy.cfg'),
    map: path.join(abs, 'hosts.map'),
    adminSocket: path.join(abs, 'admin.sock'),
    masterSocket: path.join(abs, 'master.sock'),
    pidFile: path.join(abs, 'haproxy.pid'),
    logFile: path.join(abs, 'haproxy.log'),
    stateFile: path.join(abs, 'state.json'),
    probeSocket: path.join(abs, 'probe.sock'),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True for a live process; a zombie (exited, not yet reaped) counts as dead. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export class HaproxyProcess {
  constructor(
    private readonly bin: string,
    readonly paths: HaproxyPaths,
    private readonly logger: Logger,
  ) {}

  /** The master's pid when our HAProxy runs and its master CLI answers, else null. A pid file
   *  left by a killed HAProxy, or naming a process that is not it, is stale. */
  async running(): Promise<number | null> {
    const pid = await this.ownMaster();
    if (pid === null) return null;
    // A busy master may be slow to answer once; only repeated silence means it is wedged.
    for (let attempt = 0; attempt < 3; attempt++) {
      const proc = await sendCommand(this.paths.masterSocket, 'show proc', 3000).then(parseShowProc, () => null);
      if (proc?.master === pid) return pid;
      if (!processAlive(pid)) return null;
      await sleep(500);
    }
    return null;
  }

  /** The pid file's process, if it is alive and is HAProxy running our config file. */
  private async ownMaster(): Promise<number | null> {
    const pid = await this.pidFromFile();
    if (!pid || !processAlive(pid)) return null;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return cmdline.split('\0').includes(this.paths.config) ? pid : null;
  }

  async proc(): Promise<ProcInfo> {
    return parseShowProc(await sendCommand(this.paths.masterSocket, 'show proc'));
  }

  /** Throws HAProxy's own diagnostics when the file is not a valid configuration. */
  async check(configFile: string): Promise<void> {
    try {
      await run(this.bin, ['-c', '-q', '-f', configFile], { timeout: 30_000 });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`haproxy -c rejected ${configFile}: ${(err.stderr || err.stdout || err.message).trim()}`);
    }
  }

  /** Starts a daemonized master-worker HAProxy on the config file; it outlives this process. */
  async launch(): Promise<number> {
    const wedged = await this.ownMaster();
    if (wedged !== null) {
      // Ours but not answering its master CLI (running() said so): its workers exit with it.
      this.logger.warn('HAProxy does not answer on its master socket; killing it', { pid: wedged });
      process.kill(wedged, 'SIGKILL');
      await this.waitGone(wedged, 10_000);
    }
    await this.removeStaleFiles();
    const fd = openSync(this.paths.logFile, 'a');
    let code: number | null;
    try {
      const child = spawn(
        this.bin,
        ['-W', '-S', `${this.paths.masterSocket},mode,600`, '-D', '-p', this.paths.pidFile, '-f', this.paths.config],
        { stdio: ['ignore', fd, fd], detached: true },
      );
      code = await new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (c) => resolve(c));
      });
    } finally {
      closeSync(fd);
    }
    if (code !== 0) throw new Error(`HAProxy did not start (exit ${code}): ${await this.logTail()}`);
    const pid = await this.until('HAProxy to answer on its sockets', async () => {
      const p = await this.running();
      if (p === null) return null;
      const info = await sendCommand(this.paths.adminSocket, 'show info', 3000);
      return /^Pid: \d+/m.test(info) ? p : null;
    });
    this.logger.info('started HAProxy', { pid, config: this.paths.config });
    return pid;
  }

  /**
   * Seamless reload through the master CLI: the master re-executes, a new worker takes the
   * listening sockets over (expose-fd listeners), old workers finish their requests. Resolves
   * once the new worker answers on the admin socket, so the next Runtime API command reaches it.
   */
  async reload(): Promise<void> {
    const before = await this.proc();
    // The master re-executes while answering; a reset connection is expected.
    await sendCommand(this.paths.masterSocket, 'reload').catch(() => undefined);
    const after = await this.until('HAProxy to reload', async () => {
      const p = await this.proc().catch(() => null);
      return p && p.reloads > before.reloads ? p : null;
    });
    if (after.failedReloads > before.failedReloads)
      throw new Error(`HAProxy refused to reload; the previous configuration keeps serving. ${await this.logTail()}`);
    const fresh = after.workers.find((w) => !before.workers.includes(w));
    if (fresh === undefined) throw new Error('HAProxy reloaded but started no new worker');
    await this.until('the new HAProxy worker to answer', async () => {
      const info = await sendCommand(this.paths.adminSocket, 'show info', 3000).catch(() => '');
      return new RegExp(`^Pid: ${fresh}$`, 'm').test(info) ? true : null;
    });
    this.logger.info('reloaded HAProxy', { worker: fresh });
  }

  /** Stops the master and its workers (hard stop), then removes the pid file and sockets. */
  async terminate(): Promise<void> {
    const pid = await this.running();
    if (pid !== null) {
      const workers = (await this.proc().catch(() => null))?.workers ?? [];
      process.kill(pid, 'SIGTERM');
      for (const p of [pid, ...workers]) {
        const gone = await this.waitGone(p, 10_000);
        if (!gone) {
          this.logger.warn('HAProxy process ignored SIGTERM; killing it', { pid: p });
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }
    }
    await this.removeStaleFiles();
  }

  private async waitGone(pid: number, ms: number): Promise<boolean> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (!processAlive(pid)) return true;
    return !processAlive(pid);
  }

  /** Left by a killed HAProxy; HAProxy would cope with the sockets, but a stale pid file lies. */
  private async removeStaleFiles(): Promise<void> {
    for (const f of [this.paths.pidFile, this.paths.masterSocket, this.paths.adminSocket]) await rm(f, { force: true });
  }

  private async pidFromFile(): Promise<number | null> {
    const text = await readFile(this.paths.pidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim().split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  private async logTail(): Promise<string> {
    const text = await readFile(this.paths.logFile, 'utf8').catch(() => '');
    return text.trim().split('\n').slice(-10).join('\n') || `(no output; see ${this.paths.logFile})`;
  }

  private async until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
      const v = await probe();
      if (v !== null) return v;
    }
    throw new Error(`timed out after ${ms / 1000} s waiting for ${what}; see ${this.paths.logFile}`);
  }
}
