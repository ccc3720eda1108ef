// Docker log frames → whole lines, with the checkpoint that resumes exactly after them.
// Pure: the shipper feeds it frames and stores what it returns in one transaction.
import type { ContainerCheckpoint, LogEntry } from './entry.js';
import { normalizeTs } from './entry.js';
import type { LogFrame } from './ports.js';

/** A line Docker split is joined up to this size; beyond it, it is shipped in pieces. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface ContainerMeta {
  id: string;
  app: string;
  service: string;
  container: string;
  release: number | null;
}

const SPACE = 0x20;
const NL = 0x0a;

export class ContainerLines {
  private ts: string;
  private count: number;
  /** Frames at exactly the checkpoint's timestamp still to skip: `since` is inclusive. */
  private skip: number;
  private readonly skipTs: string;
  private pending: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
  private pendingBytes = { stdout: 0, stderr: 0 };

  constructor(
    private readonly meta: ContainerMeta,
    from: ContainerCheckpoint | null,
  ) {
    this.ts = from?.ts ?? '';
    this.count = from?.count ?? 0;
    this.skip = this.count;
    this.skipTs = this.ts;
    for (const s of ['stdout', 'stderr'] as const) {
      const p = from?.pending[s];
      if (p?.length) {
        this.pending[s].push(p);
        this.pendingBytes[s] = p.length;
      }
    }
  }

  /** The lines these frames complete, in the engine's order. */
  take(frames: readonly LogFrame[]): LogEntry[] {
    const out: LogEntry[] = [];
    for (const f of frames) {
      const sp = f.payload.indexOf(SPACE);
      const ts = sp > 0 && sp < 40 ? normalizeTs(f.payload.toString('latin1', 0, sp)) : null;
      if (!ts) continue; // not a log frame (the engine always prefixes one with timestamps=true)
      if (this.skipTs && ts <= this.skipTs) {
        if (ts < this.skipTs || this.skip > 0) {
          if (ts === this.skipTs) this.skip--;
          continue; // shipped before the restart
        }
      }
      this.skip = 0;
      if (ts === this.ts) this.count++;
      else {
        this.ts = ts;
        this.count = 1;
      }
      this.add(f.stream, f.payload.subarray(sp + 1), ts, out);
    }
    return out;
  }

  /** The container ended: a last line without a newline is still a line. */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const s of ['stdout', 'stderr'] as const) if (this.pendingBytes[s]) this.emit(s, this.ts, out);
    return out;
  }

  checkpoint(done = false): ContainerCheckpoint {
    const join = (parts: Buffer[]) => (parts.length ? Buffer.concat(parts) : null);
    return {
      container: this.meta.id,
      ts: this.ts,
      count: this.count,
      pending: { stdout: join(this.pending.stdout), stderr: join(this.pending.stderr) },
      done,
    };
  }

  private add(stream: 'stdout' | 'stderr', text: Buffer, ts: string, out: LogEntry[]): void {
    // Docker ends a message with \n; a frame without one is a piece of a line > 16 KiB.
    const complete = text.length > 0 && text[text.length - 1] === NL;
    const body = complete ? text.subarray(0, text.length - 1) : text;
    if (body.length) {
      // Copy: the frame's buffer belongs to the socket chunk, which we must not pin.
      this.pending[stream].push(complete && !this.pendingBytes[stream] ? body : Buffer.from(body));
      this.pendingBytes[stream] += body.length;
    }
    if (complete || this.pendingBytes[stream] >= MAX_LINE_BYTES) this.emit(stream, ts, out);
  }

  private emit(stream: 'stdout' | 'stderr', ts: string, out: LogEntry[]): void {
    const parts = this.pending[stream];
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    let line = bytes.toString('utf8'); // invalid UTF-8 becomes U+FFFD here, once, on whole lines
    if (line.endsWith('\r')) line = line.slice(0, -1);
    out.push({ ts, app: this.meta.app, service: this.meta.service, container: this.meta.container, stream, release: this.meta.release, line });
    this.pending[stream] = [];
    this.pendingBytes[stream] = 0;
  }
}
