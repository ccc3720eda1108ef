// Tails a container's declared log files from its log volume on the host. Files are tracked
// by inode: a renamed (rotated) file keeps its checkpoint and is read to its end, a new file
// under the old name starts at 0, and a file shorter than its offset was truncated.
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileCheckpoint, LogEntry } from './entry.js';
import { isoNano } from './entry.js';
import type { LogFileMount } from './file-mounts.js';
import { MAX_LINE_BYTES } from './container-lines.js';
import type { WriteItem } from './writer.js';

export interface FileTailDeps {
  mount: LogFileMount;
  /** The volume's Mountpoint on the host. */
  hostDir: string;
  meta: { app: string; service: string; container: string; release: number | null };
  /** The checkpoints stored for this volume when the tail starts. */
  checkpoints: FileCheckpoint[];
  write(item: WriteItem): Promise<void>;
  now?: () => Date;
}

/** `*.log,app-?.txt` → a matcher of base names. */
export function globMatcher(pattern: string): (name: string) => boolean {
  const res = pattern
    .split(',')
    .filter(Boolean)
    .map((g) => new RegExp('^' + g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$'));
  return (name) => res.some((r) => r.test(name));
}

interface Seen {
  name: string;
  inode: string;
  size: number;
  mtimeMs: number;
}

const READ_CHUNK = 64 * 1024;
/** Bytes read from one file per pass, so one busy file cannot starve the others. */
const PASS_BUDGET = 4 * 1024 * 1024;

export class FileTail {
  private readonly cps = new Map<string, FileCheckpoint>();
  /** Inodes with a checkpoint that the last scan did not find. */
  private readonly missing = new Set<string>();
  private readonly matches: (name: string) => boolean;
  private readonly now: () => Date;

  constructor(private readonly deps: FileTailDeps) {
    for (const c of deps.checkpoints) this.cps.set(c.inode, c);
    this.matches = globMatcher(deps.mount.pattern);
    this.now = deps.now ?? (() => new Date());
  }

  /** One pass over the directory; `final` ships a last line without a newline too. */
  async poll(final = false): Promise<void> {
    const files = await this.scan();
    const present = new Set(files.map((f) => f.inode));
    for (const inode of [...this.cps.keys()]) {
      if (present.has(inode)) {
        this.missing.delete(inode);
        continue;
      }
      // A rename between readdir and stat hides a file from one scan; only a second miss means
      // it was deleted. Then forget it, so a new file that reuses the inode starts at 0.
      if (!this.missing.has(inode)) {
        this.missing.add(inode);
        continue;
      }
      this.missing.delete(inode);
      this.cps.delete(inode);
      await this.deps.write({ entries: [], fileGone: { volume: this.deps.mount.volume, inode } });
    }
    // Files we were already reading first (a rotated file is finished before its successor).
    // A file rotated before we first saw it (`app.log.1`) still holds unshipped lines.
    const rotated = (name: string) => /\.\d+$/.test(name) && this.matches(name.replace(/\.\d+$/, ''));
    const tracked = files.filter((f) => this.cps.has(f.inode) || this.matches(f.name) || rotated(f.name));
    tracked.sort((a, b) => Number(this.cps.has(b.inode)) - Number(this.cps.has(a.inode)) || a.mtimeMs - b.mtimeMs);
    for (const f of tracked) await this.read(f, final || !this.matches(f.name));
  }

  private async scan(): Promise<Seen[]> {
    const out: Seen[] = [];
    for (const name of await readdir(this.deps.hostDir)) {
      try {
        const s = await stat(path.join(this.deps.hostDir, name));
        if (s.isFile()) out.push({ name, inode: String(s.ino), size: s.size, mtimeMs: s.mtimeMs });
      } catch {
        /* removed between readdir and stat */
      }
    }
    return out;
  }

  private async read(f: Seen, finishPartial: boolean): Promise<void> {
    const known = this.cps.get(f.inode);
    const cp: FileCheckpoint = known ?? {
      volume: this.deps.mount.volume,
      inode: f.inode,
      path: path.posix.join(this.deps.mount.target, f.name),
      offset: 0,
    };
    // Remembered from first sight, so lines written just before a rename are still read.
    if (!known) this.cps.set(f.inode, cp);
    let offset = cp.offset > f.size ? 0 : cp.offset; // truncated in place (copytruncate, `> file`)
    if (offset === f.size) return;
    const fh = await open(path.join(this.deps.hostDir, f.name), 'r').catch(() => null);
    if (!fh) return;
    try {
      let buf = Buffer.alloc(READ_CHUNK);
      let budget = PASS_BUDGET;
      while (budget > 0) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        const data = buf.subarray(0, bytesRead);
        const atEnd = bytesRead < buf.length;
        let end = finishPartial && atEnd ? bytesRead : data.lastIndexOf(0x0a) + 1;
        if (end === 0) {
          // No newline yet: read a long line whole (up to the cap), else wait for its end.
          if (bytesRead === buf.length && buf.length < MAX_LINE_BYTES) {
            buf = Buffer.alloc(Math.min(buf.length * 2, MAX_LINE_BYTES));
            continue;
          }
          if (bytesRead < MAX_LINE_BYTES && !finishPartial) break;
          end = bytesRead;
        }
        const entries = this.lines(data.subarray(0, end), cp.path);
        offset += end;
        budget -= end;
        const next = { ...cp, offset };
        this.cps.set(f.inode, next);
        await this.deps.write({ entries, file: next });
        if (atEnd) break; // anything after `end` is an unfinished line
      }
    } finally {
      await fh.close();
    }
  }

  private lines(data: Buffer, file: string): LogEntry[] {
    const ts = isoNano(this.now());
    const { app, service, container, release } = this.deps.meta;
    const out: LogEntry[] = [];
    let start = 0;
    while (start < data.length) {
      let nl = data.indexOf(0x0a, start);
      if (nl < 0) nl = data.length;
      let line = data.toString('utf8', start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      out.push({ ts, app, service, container, stream: `file:${file}`, release, line });
      start = nl + 1;
    }
    return out;
  }
}
