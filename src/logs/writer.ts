// Batches shipped lines into store transactions (up to `maxLines` or `maxDelayMs`) and pushes
// back on the shippers when the queue is full, so a slow store pauses the Docker streams
// instead of growing a buffer.
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
  private waiting: (() => void)[] = [];
  private flushing: Promise<void> | null = null;
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
    if (this.queued >= this.opts.maxLines) this.schedule(0);
    else this.schedule(this.opts.maxDelayMs);
    if (this.queued < this.opts.maxQueued) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Commits everything queued so far. */
  async flush(): Promise<void> {
    while (this.queue.length || this.flushing) {
      await (this.flushing ?? this.runFlush());
      if (this.queue.length && this.failures > 0) throw this.lastError;
    }
  }

  private schedule(delay: number): void {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runFlush();
    }, delay);
  }

  private runFlush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      try {
        while (this.queue.length) {
          // Items are never split: a checkpoint always covers exactly the lines before it.
          let n = 0;
          let k = 0;
          while (k < this.queue.length && (k === 0 || n < this.opts.maxLines)) n += this.queue[k++]!.entries.length;
          const batch = this.queue.slice(0, k);
          this.commit(toCommit(batch));
          this.queue.splice(0, k);
          this.queued -= n;
          this.failures = 0;
          if (this.queued < this.opts.maxQueued) this.release();
          // Let the streams deliver more between transactions.
          await new Promise((r) => setImmediate(r));
        }
      } catch (e) {
        // The store failed (disk full, locked): keep the batch, retry with backoff; shippers
        // wait on the full queue meanwhile.
        this.failures++;
        this.lastError = e;
        this.onError(e);
        this.flushing = null;
        this.schedule(Math.min(30_000, 100 * 2 ** this.failures));
        return;
      }
      this.flushing = null;
    })();
    return this.flushing;
  }

  private release(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const resolve of w) resolve();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.release();
  }
}

function toCommit(items: WriteItem[]): Commit {
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
