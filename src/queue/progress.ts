// Live, replayable output of each deployment: lines are appended to DATA/deploys/ID.log and
// pushed to whoever follows (git push, CLI, API) — a follower that joins late replays the file
// first. The last line a follower gets is the outcome, in a machine-readable status line.
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { EventEmitter, on } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';

/** Marks the final line of a deploy stream; clients strip it and read the outcome. */
export const STATUS_PREFIX = '\u001fslipway-status ';

export interface Outcome {
  status: 'succeeded' | 'failed' | 'superseded' | 'interrupted';
  release?: number;
  error?: string;
}

/** The outcome a deployment in a final state ended with, or null while it is queued or running. */
export function outcomeOf(d: { status: string; releaseVersion: number | null; error: string | null }): Outcome | null {
  if (d.status === 'queued' || d.status === 'running') return null;
  const o: Outcome = { status: d.status as Outcome['status'] };
  if (d.releaseVersion !== null) o.release = d.releaseVersion;
  if (d.error !== null) o.error = d.error;
  return o;
}

export function statusLine(o: Outcome): string {
  return STATUS_PREFIX + JSON.stringify(o);
}

export class DeployProgress {
  private readonly bus = new EventEmitter();
  /** Open deployments: file descriptor and lines written so far (the next line's number). */
  private readonly open = new Map<number, { fd: number; seq: number }>();
  /** Outcomes whose status line could not be stored (a full disk): followers still get them. */
  private readonly unstored = new Map<number, string>();

  /** `onWriteError`: told once per deployment when its output can't be stored (a full disk). */
  constructor(
    private readonly dir: string,
    private readonly onWriteError: (id: number, e: unknown) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true });
    this.bus.setMaxListeners(0);
  }

  file(id: number): string {
    return path.join(this.dir, `${id}.log`);
  }

  /** Removes the output of deployments that no longer exist (their app was deleted, or the
   *  state DB was made anew): a new deployment must never replay another's output. */
  removeStale(exists: (id: number) => boolean): number {
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      const m = /^(\d+)\.log$/.exec(name);
      if (!m || exists(Number(m[1]))) continue;
      rmSync(path.join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Deletes a finished deployment's output (retention, app teardown). */
  remove(id: number): void {
    if (this.open.has(id)) return;
    rmSync(this.file(id), { force: true });
  }

  private handle(id: number) {
    let h = this.open.get(id);
    if (!h) {
      // Synchronous appends keep the file exactly as far along as the live feed, so a
      // follower can replay it and then skip the live lines it has already seen.
      const file = this.file(id);
      const seq = existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
      let fd = -1;
      try {
        fd = openSync(file, 'a');
      } catch (e) {
        this.writeFailed(id, e);
      }
      h = { fd, seq };
      this.open.set(id, h);
    }
    return h;
  }

  private emit(id: number, line: string) {
    const h = this.handle(id);
    if (h.fd >= 0) {
      try {
        writeSync(h.fd, line + '\n');
      } catch (e) {
        // A full disk: the stored copy stops here, the live feed (and the deploy) go on.
        this.writeFailed(id, e);
        closeSync(h.fd);
        h.fd = -1;
      }
    }
    this.bus.emit(`line:${id}`, h.seq++, line);
  }

  /** A writer for deployment `id`'s output; each call is one or more lines. */
  writer(id: number): (line: string) => void {
    return (text: string) => {
      for (const l of text.replace(/\r?\n$/, '').split(/\r?\n/)) this.emit(id, l);
    };
  }

  /**
   * Ends the output with `outcome` unless it already ends with a status line: every terminal
   * state ends the stream, also one reached outside the queue (a failed upload, a deploy
   * interrupted by a crash) or written before this rule.
   */
  ensureFinished(id: number, outcome: Outcome): void {
    if (this.open.has(id) || !this.endsWithStatus(id)) this.finish(id, outcome);
  }

  private endsWithStatus(id: number): boolean {
    const file = this.file(id);
    if (!existsSync(file)) return false;
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const tail = Buffer.alloc(Math.min(size, 64 * 1024));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      const last = tail.toString('utf8').replace(/\n$/, '').split('\n').at(-1) ?? '';
      return last.startsWith(STATUS_PREFIX);
    } finally {
      closeSync(fd);
    }
  }

  finish(id: number, outcome: Outcome): void {
    this.emit(id, statusLine(outcome));
    const h = this.open.get(id);
    if (h && h.fd >= 0) closeSync(h.fd);
    else this.unstored.set(id, statusLine(outcome));
    this.open.delete(id);
  }

  private writeFailed(id: number, e: unknown): void {
    this.onWriteError(id, e);
  }

  /** Yields every line of the deployment so far, then live lines; ends after the status line. */
  async *follow(id: number, signal?: AbortSignal): AsyncGenerator<string> {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener('abort', onAbort);
    // Subscribe before replaying so no line falls between the file and the live feed.
    const live = on(this.bus, `line:${id}`, { signal: ac.signal }) as AsyncIterableIterator<[number, string]>;
    try {
      let replayed = 0;
      if (existsSync(this.file(id))) {
        for await (const line of readline.createInterface({ input: createReadStream(this.file(id)) })) {
          replayed++;
          yield line;
          if (line.startsWith(STATUS_PREFIX)) return;
        }
      }
      const outcome = this.unstored.get(id);
      if (outcome !== undefined) {
        yield outcome;
        return;
      }
      for await (const [seq, line] of live) {
        if (seq < replayed) continue;
        yield line;
        if (line.startsWith(STATUS_PREFIX)) return;
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      ac.abort();
    }
  }
}
