// `slipway supervise`: keeps `slipway server` running where no systemd does. It starts the server
// as a child, and when the child dies for any reason but our own stop it starts it again after a
// back-off (a crash loop must not spin); a run that lasted resets the back-off. SIGTERM/SIGINT
// stop the child (SIGTERM, then SIGKILL after a grace period) and then the supervisor.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import type { Logger } from '../log.js';

/** How long to wait before start number `crashes + 1` after `crashes` crashes in a row. */
export function restartDelayMs(crashes: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, crashes - 1));
}

export interface SupervisorOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** Where the running server's pid is written (removed when the supervisor stops). */
  pidFile?: string;
  /** A run at least this long was not a crash loop: the back-off starts over. */
  stableAfterMs?: number;
  /** How long a stopping server may take before it is killed. */
  stopGraceMs?: number;
}

export class Supervisor {
  private child: ChildProcess | null = null;
  private stopping = false;
  private crashes = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped!: () => void;
  /** Resolves once the supervisor has stopped its server for good. */
  readonly done = new Promise<void>((r) => (this.stopped = r));

  constructor(private readonly opts: SupervisorOptions) {}

  start(): void {
    const { command, args, env, logger, pidFile } = this.opts;
    const startedAt = Date.now();
    const child = spawn(command, args, { env: env ?? process.env, stdio: 'inherit' });
    this.child = child;
    if (pidFile && child.pid) writeFileSync(pidFile, `${child.pid}\n`);
    logger.info('supervisor started slipway server', { pid: child.pid });
    child.once('error', (e) => logger.error('supervisor could not start slipway server', { error: e.message }));
    child.once('exit', (code, signal) => {
      this.child = null;
      if (this.stopping) return this.finish();
      if (Date.now() - startedAt >= (this.opts.stableAfterMs ?? 60_000)) this.crashes = 0;
      this.crashes++;
      const delay = restartDelayMs(this.crashes);
      logger.error('slipway server exited; starting it again', { code, signal, restartInMs: delay, crashesInARow: this.crashes });
      this.timer = setTimeout(() => this.start(), delay);
    });
  }

  /** Stops the server (SIGTERM, then SIGKILL after the grace period), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (!child) {
      this.finish();
      return this.done;
    }
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), this.opts.stopGraceMs ?? 30_000);
    await this.done;
    clearTimeout(kill);
  }

  private finish(): void {
    if (this.opts.pidFile) rmSync(this.opts.pidFile, { force: true });
    this.stopped();
  }
}
