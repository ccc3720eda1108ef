// Parsers for what the kernel says about a container (pure): cgroup v1 and v2 accounting files,
// /proc/PID/cgroup and /proc/PID/net/dev. The reader in cgroup-reader.ts feeds them the files.
//
// Memory is reported as the working set — usage minus inactive file cache — as `docker stats`
// and cAdvisor compute it: page cache the kernel can drop at once is not memory pressure.

/** One reading of a container's counters (cumulative since it started) and gauges. */
export interface Usage {
  /** CPU time of every process in the container, seconds. */
  cpuSeconds: number;
  memoryWorkingSet: number;
  /** null: no limit. */
  memoryLimit: number | null;
  ioReadBytes: number;
  ioWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

/** A limit this large (v1 writes 2^63 rounded down to the page size) means "none". */
const UNLIMITED = 2 ** 62;

export type CgroupVersion = 1 | 2;

/** `/proc/PID/cgroup`: `ID:controllers:path` per line → controller → path; v2's line is `0::/path` (key ''). */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[2] === '') out.set('', m[3]!);
    for (const c of m[2]!.split(',')) if (c) out.set(c.replace(/^name=/, 'name='), m[3]!);
  }
  return out;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) → map. */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** A single number file (`cpuacct.usage`, `memory.current`); `max` → null. */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  if (t === 'max' || t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export function limitOrNull(n: number | null): number | null {
  return n === null || n >= UNLIMITED || n <= 0 ? null : n;
}

/** v1 `blkio.throttle.io_service_bytes`: `MAJ:MIN Read N` lines, summed over devices (the
 *  `Total` line and per-device `Total` are skipped). */
export function parseBlkioV1(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3 || !/^\d+:\d+$/.test(f[0]!)) continue;
    if (f[1] === 'Read') read += Number(f[2]) || 0;
    else if (f[1] === 'Write') write += Number(f[2]) || 0;
  }
  return { read, write };
}

/** v2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N rios=N …` per device, summed. */
export function parseIoStatV2(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    for (const kv of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = kv.split('=');
      if (k === 'rbytes') read += Number(v) || 0;
      else if (k === 'wbytes') write += Number(v) || 0;
    }
  }
  return { read, write };
}

/** `/proc/PID/net/dev` of the container's init: bytes over every interface but loopback. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/);
    if (f.length < 16) continue;
    rx += Number(f[0]) || 0;
    tx += Number(f[8]) || 0;
  }
  return { rx, tx };
}

/** The files one reading needs, as text (absent: undefined), by version. */
export interface V1Files {
  cpuacctUsage?: string;
  memoryUsage?: string;
  memoryStat?: string;
  memoryLimit?: string;
  blkio?: string;
  netDev?: string;
}
export interface V2Files {
  cpuStat?: string;
  memoryCurrent?: string;
  memoryStat?: string;
  memoryMax?: string;
  ioStat?: string;
  netDev?: string;
}

/** Working set: usage minus inactive file cache, never below 0. */
function workingSet(usage: number, inactiveFile: number): number {
  return Math.max(0, usage - inactiveFile);
}

export function usageV1(f: V1Files): Usage {
  if (f.cpuacctUsage === undefined || f.memoryUsage === undefined) throw new Error('cgroup v1 files missing (cpuacct.usage, memory.usage_in_bytes)');
  const stat = parseKeyValues(f.memoryStat ?? '');
  const io = parseBlkioV1(f.blkio ?? '');
  const net = parseNetDev(f.netDev ?? '');
  return {
    cpuSeconds: (parseNumber(f.cpuacctUsage) ?? 0) / 1e9,
    memoryWorkingSet: workingSet(parseNumber(f.memoryUsage) ?? 0, stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0),
    memoryLimit: limitOrNull(parseNumber(f.memoryLimit ?? '')),
    ioReadBytes: io.read,
    ioWriteBytes: io.write,
    netRxBytes: net.rx,
    netTxBytes: net.tx,
  };
}

export function usageV2(f: V2Files): Usage {
  if (f.cpuStat === undefined || f.memoryCurrent === undefined) throw new Error('cgroup v2 files missing (cpu.stat, memory.current)');
  const stat = parseKeyValues(f.memoryStat ?? '');
  const io = parseIoStatV2(f.ioStat ?? '');
  const net = parseNetDev(f.netDev ?? '');
  return {
    cpuSeconds: (parseKeyValues(f.cpuStat).get('usage_usec') ?? 0) / 1e6,
    memoryWorkingSet: workingSet(parseNumber(f.memoryCurrent) ?? 0, stat.get('inactive_file') ?? 0),
    memoryLimit: limitOrNull(parseNumber(f.memoryMax ?? '')),
    ioReadBytes: io.read,
    ioWriteBytes: io.write,
    netRxBytes: net.rx,
    netTxBytes: net.tx,
  };
}

/** Where Docker puts a container's cgroup when /proc/PID/cgroup can't tell (cgroupfs driver,
 *  then systemd's). */
export function guessedCgroupPaths(id: string): string[] {
  return [`/docker/${id}`, `/system.slice/docker-${id}.scope`];
}
