// Tails a container's declared log files from its log volume on the host. Files are tracked
// by inode: a renamed (rotated) file keeps its checkpoint and is read to its end, a new file
// under the old name starts at 0, and a file shorter than its offset was truncated.
// The volume's content is the container's, and Slipway reads it as root: only regular files
// directly in the volume are read — never through a symlink (a container could point one at
// any host file), a FIFO or a device — and each refusal is said once, in the app's logs.
import { constants } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
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
  /** Told once per file name refused (also written to the app's logs). */
  onRefused?: (file: string, why: string) => void;
  now?: () => Date;
}

/** Opened for reading only, never through a symlink, never blocking on a FIFO raced in. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

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
  /** Names already refused, so each refusal is said once. */
  private readonly refused = new Set<string>();
  private root: string | null = null;

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
    const tracked = files.filter((f) => this.cps.has(f.inode) || this.declared(f.name));
    tracked.sort((a, b) => Number(this.cps.has(b.inode)) - Number(this.cps.has(a.inode)) || a.mtimeMs - b.mtimeMs);
    for (const f of tracked) await this.read(f, final || !this.matches(f.name));
  }

  /** A declared name, or one rotated before we first saw it (`app.log.1`, still holding unshipped lines). */
  private declared(name: string): boolean {
    return this.matches(name) || (/\.\d+$/.test(name) && this.matches(name.replace(/\.\d+$/, '')));
  }

  private async scan(): Promise<Seen[]> {
    const out: Seen[] = [];
    for (const name of await readdir(this.deps.hostDir)) {
      let s;
      try {
        s = await lstat(path.join(this.deps.hostDir, name));
      } catch {
        continue; // removed between readdir and lstat
      }
      if (s.isFile()) out.push({ name, inode: String(s.ino), size: s.size, mtimeMs: s.mtimeMs });
      else if (!s.isDirectory() && this.declared(name)) await this.refuse(name, s.isSymbolicLink() ? 'is a symbolic link' : 'is not a regular file');
    }
    return out;
  }

  private async refuse(name: string, why: string): Promise<void> {
    if (this.refused.has(name)) return;
    this.refused.add(name);
    const file = path.posix.join(this.deps.mount.target, name);
    this.deps.onRefused?.(file, why);
    const line = `slipway: ${file} is not shipped: it ${why}; declared log files must be regular files in their log directory`;
    await this.deps.write({ entries: this.lines(Buffer.from(line), file) });
  }

  /** Opens `name` only if it is still the regular file the scan saw, inside the volume. */
  private async openChecked(f: Seen) {
    const file = path.join(this.deps.hostDir, f.name);
    this.root ??= await realpath(this.deps.hostDir);
    const fh = await open(file, READ_FLAGS).catch(async (e: NodeJS.ErrnoException) => {
      // Swapped for a symlink since the scan.
      if (e.code === 'ELOOP') await this.refuse(f.name, 'is a symbolic link');
      return null;
    });
    if (!fh) return null;
    const st = await fh.stat();
    const real = await realpath(file).catch(() => null);
    if (st.isFile() && String(st.ino) === f.inode && real !== null && path.dirname(real) === this.root) return fh;
    await fh.close();
    if (real !== null && path.dirname(real) !== this.root) await this.refuse(f.name, 'leaves its log volume');
    return null;
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
    const fh = await this.openChecked(f);
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
