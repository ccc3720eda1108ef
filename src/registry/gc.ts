// The registry's garbage collection: deleting a manifest only unlinks it; the layers stay on disk
// until `docker-registry garbage-collect` sweeps every blob no manifest references. That sweep is
// unsafe while a push is in flight (a layer uploaded before its manifest is unreferenced and
// gets deleted — distribution's docs ask for read-only mode or a stopped registry), so Slipway,
// the only writer to its own registry, runs it between its pushes: every push holds this lock
// shared, a collection holds it exclusive and new pushes wait behind it. Not `--delete-untagged`:
// a kept release is run by digest, and its tags may have moved (a rebuilt sha).
// A registry with `storage.cache.blobdescriptor` set keeps answering for swept layers until it
// restarts (distribution#1803, #4569): a later push would skip them and leave a broken image,
// so collection is refused for such a config, with why.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

const run = promisify(execFile);

export interface GcReport {
  blobsDeleted: number;
  manifestsDeleted: number;
}

export interface RegistryGcOptions {
  /** The `docker-registry` program. */
  bin: string;
  /** The running registry's config file; null: collection is off (blobs stay until an operator runs it). */
  configFile: string | null;
  logger: Logger;
}

export class RegistryGc {
  private pushes = 0;
  private pushesDone: (() => void)[] = [];
  /** Set while a collection waits for pushes or runs; pushes wait on it. */
  private running: Promise<GcReport | null> | null = null;
  private again = false;

  constructor(private readonly opts: RegistryGcOptions) {}

  get enabled(): boolean {
    return this.opts.configFile !== null;
  }

  /** Runs a push to the registry; never while a collection runs. */
  async duringPush<T>(push: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    this.pushes++;
    try {
      return await push();
    } finally {
      if (--this.pushes === 0) for (const done of this.pushesDone.splice(0)) done();
    }
  }

  /** Asks for a collection soon: one runs at a time, and a request during a run makes one more. */
  schedule(): void {
    if (!this.enabled) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.collect().catch(() => undefined);
  }

  /** Collects now, once the pushes in flight are done; null when collection is off or refused. */
  collect(): Promise<GcReport | null> {
    if (this.running) return this.running;
    const work = (async () => {
      if (this.pushes > 0) await new Promise<void>((resolve) => this.pushesDone.push(resolve));
      return this.sweep();
    })();
    this.running = work.finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
    return this.running;
  }

  private async sweep(): Promise<GcReport | null> {
    const file = this.opts.configFile;
    if (!file) return null;
    const refused = configProblem(file);
    if (refused) {
      this.opts.logger.warn(`registry garbage collection skipped: ${refused}`, { config: file });
      return null;
    }
    try {
      const { stdout } = await run(this.opts.bin, ['garbage-collect', file], { maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 });
      const report = parseGcOutput(stdout);
      this.opts.logger.info('registry garbage collection done', { ...report });
      return report;
    } catch (e) {
      this.opts.logger.warn('registry garbage collection failed; unreferenced layers stay until the next one', { error: errorMessage(e) });
      return null;
    }
  }
}

/** Why this registry config can't be collected safely while the registry runs, or null. */
export function configProblem(file: string): string | null {
  let doc: { storage?: { cache?: { blobdescriptor?: unknown } } } | null;
  try {
    doc = parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (e) {
    return `cannot read the registry config ${file}: ${errorMessage(e)}`;
  }
  if (doc?.storage?.cache?.blobdescriptor)
    return `${file} sets storage.cache.blobdescriptor: the running registry would keep answering for deleted layers; remove it and restart the registry`;
  return null;
}

/** "3 blobs marked, 5 blobs and 1 manifests eligible for deletion" → the counts. */
export function parseGcOutput(stdout: string): GcReport {
  const m = /(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion/.exec(stdout);
  return { blobsDeleted: Number(m?.[2] ?? 0), manifestsDeleted: Number(m?.[3] ?? 0) };
}
