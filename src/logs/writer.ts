// Batches shipped lines into store transactions (`maxLines` at a time, or whatever is queued
// after `maxDelayMs`) and pushes back on the shippers when the queue is full, so a slow store
// pauses the Docker streams instead of growing a buffer. Big transactions matter: FTS5 writes
// a segment per transaction, so many small ones cost several times more (measured here).
import type { Commit } from './store.js';
import type { ContainerCheckpoint, FileCheckpoint, LogEntry } from './entry.js';

export interface WriteItem {
  entries: LogEntry[];
  container?: ContainerCheckpoint;
  file?: FileCheckpoint;
  fileGone?: { volume: string; inode: string };
}

export interface WriterOptions {
  maxLines: number;
  maxDelayMs: number;
  /** Lines queued before `write` makes callers wait. */
  maxQueued: number;
}

export const DEFAULT_WRITER: WriterOptions = { maxLines: 1000, maxDelayMs: 100, maxQueued: 10_000 };

export class BatchWriter {
  private queue: WriteItem[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Commit partial batches too (the delay passed, or someone waits in `flush`). */
  private force = false;
  private waiting: (() => void)[] = [];
  private draining: Promise<void> | null = null;
  private failures = 0;
  private lastError: unknown = null;

  constructor(
    private readonly commit: (c: Commit) => void,
    private readonly onError: (e: unknown) => void,
    private readonly opts: WriterOptions = DEFAULT_WRITER,
  ) {}

  /** Queues lines with the checkpoint after them; resolves when there is room for more. */
  write(item: WriteItem): Promise<void> {
    this.queue.push(item);
    this.queued += item.entries.length;
    if (this.queued >= this.opts.maxLines) void this.drain();
    else if (!this.timer) this.timer = setTimeout(() => this.expire(), this.opts.maxDelayMs);
    if (this.queued < this.opts.maxQueued) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Commits everything queued so far; throws if the store keeps failing. */
  async flush(): Promise<void> {
    while (this.queue.length || this.draining) {
      this.force = true;
      await this.drain();
      if (this.queue.length && this.failures > 0) throw this.lastError;
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.release();
  }

  private expire(): void {
    this.timer = null;
    this.force = true;
    void this.drain();
  }

  private drain(): Promise<void> {
    // Cleared in `finally`, after the assignment, even when there was nothing to commit.
    this.draining ??= this.run().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async run(): Promise<void> {
    // Let the streams hand over what they already have before the first transaction.
    await new Promise((r) => setImmediate(r));
    try {
      while (this.queue.length && (this.force || this.queued >= this.opts.maxLines)) {
        // Items are never split: a checkpoint always covers exactly the lines before it.
        let n = 0;
        let k = 0;
        while (k < this.queue.length && (k === 0 || n < this.opts.maxLines)) n += this.queue[k++]!.entries.length;
        this.commit(toCommit(this.queue.slice(0, k)));
        this.queue.splice(0, k);
        this.queued -= n;
        this.failures = 0;
        if (this.queued < this.opts.maxQueued) this.release();
        await new Promise((r) => setImmediate(r));
      }
      this.force = false;
      if (this.queue.length && !this.timer) this.timer = setTimeout(() => this.expire(), this.opts.maxDelayMs);
    } catch (e) {
      // The store failed (disk full, locked): keep the batch and retry with backoff; the
      // shippers wait on the full queue meanwhile.
      this.failures++;
      this.lastError = e;
      this.onError(e);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.expire(), Math.min(30_000, 100 * 2 ** this.failures));
    }
  }

  private release(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const resolve of w) resolve();
  }
}

/** Shipped items as one store transaction: their lines, and the last checkpoint of each source. */
export function toCommit(items: WriteItem[]): Commit {
  const c: Commit = { entries: [], containers: [], files: [], filesGone: [] };
  const containers = new Map<string, ContainerCheckpoint>();
  const files = new Map<string, FileCheckpoint>();
  for (const it of items) {
    for (const e of it.entries) c.entries.push(e);
    if (it.container) containers.set(it.container.container, it.container);
    if (it.file) files.set(`${it.file.volume}\0${it.file.inode}`, it.file);
    if (it.fileGone) {
      files.delete(`${it.fileGone.volume}\0${it.fileGone.inode}`);
      c.filesGone.push(it.fileGone);
    }
  }
  c.containers = [...containers.values()];
  c.files = [...files.values()];
  return c;
}
