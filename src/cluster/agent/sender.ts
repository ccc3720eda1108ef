// The agent's side of shipping: what the shippers write is queued, numbered, and posted to the
// server in order, one batch at a time; a batch that fails is sent again (numbers let the
// server skip what it already committed). A full queue makes the shippers wait, so a slow or
// absent server pauses the Docker streams instead of growing memory.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { WriteItem } from '../../logs/writer.js';
import { encodeItem, type WireItem } from './wire.js';

export interface SenderOptions {
  post(items: WireItem[]): Promise<void>;
  /** Called with what the server has committed, in order (the agent's checkpoint cache). */
  committed(items: WriteItem[]): void;
  logger: Logger;
  maxLines?: number;
  maxQueued?: number;
}

export class Sender {
  private readonly queue: { seq: number; item: WriteItem }[] = [];
  private seq = 0;
  private queued = 0;
  private sending: Promise<void> | null = null;
  private full: (() => void)[] = [];
  private empty: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly opts: SenderOptions) {}

  write(item: WriteItem): Promise<void> {
    this.queue.push({ seq: ++this.seq, item });
    this.queued += item.entries.length;
    this.kick();
    if (this.queued < (this.opts.maxQueued ?? 10_000)) return Promise.resolve();
    return new Promise((resolve) => this.full.push(resolve));
  }

  /** Resolves when everything written so far is committed by the server. */
  flush(): Promise<void> {
    if (!this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.empty.push(resolve));
  }

  /** Stops retrying (shutdown); what is unsent is shipped again by the next run. */
  stop(): void {
    this.stopped = true;
  }

  private kick(): void {
    this.sending ??= this.run().finally(() => {
      this.sending = null;
      if (this.queue.length && !this.stopped) this.kick();
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    // Let the shippers hand over what they already have before the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length && !this.stopped) {
      let lines = 0;
      let k = 0;
      while (k < this.queue.length && (k === 0 || lines < (this.opts.maxLines ?? 2000))) lines += this.queue[k++]!.item.entries.length;
      const batch = this.queue.slice(0, k);
      try {
        await this.opts.post(batch.map((b) => encodeItem(b.seq, b.item)));
      } catch (e) {
        failures++;
        this.opts.logger.warn('shipping to Slipway failed; sending again', { error: errorMessage(e), attempt: failures });
        await sleep(Math.min(10_000, 200 * 2 ** failures));
        continue;
      }
      failures = 0;
      this.queue.splice(0, k);
      this.queued -= lines;
      this.opts.committed(batch.map((b) => b.item));
      if (this.queued < (this.opts.maxQueued ?? 10_000)) this.release('full');
    }
    if (!this.queue.length) this.release('empty');
  }

  private release(which: 'full' | 'empty'): void {
    const waiting = this[which];
    this[which] = [];
    for (const resolve of waiting) resolve();
  }
}
