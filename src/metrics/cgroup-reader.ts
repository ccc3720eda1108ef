// The adapter on the kernel's accounting files: finds a container's cgroup (from /proc/PID/cgroup
// of its init, else where Docker puts it) under cgroup v1 or v2, and reads one Usage. Reading a
// few small files per container costs microseconds; the Engine's stats endpoint costs dockerd a
// goroutine, a JSON document and a read of the same files per container (moby #21837, #39664).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { guessedCgroupPaths, parseProcCgroup, usageV1, usageV2, type CgroupVersion, type Usage } from './cgroup.js';

export interface CgroupRoots {
  /** `/sys/fs/cgroup` */
  cgroupRoot: string;
  /** `/proc` */
  procRoot: string;
}

/** A container's cgroup directories, found once and kept while its init runs. */
export type CgroupLocation =
  | { version: 1; cpuacct: string; memory: string; blkio: string | null }
  | { version: 2; dir: string };

const V1_CONTROLLERS = ['cpuacct', 'memory', 'blkio'] as const;

export class CgroupReader {
  readonly version: CgroupVersion;
  /** v1: controller → its mount directory (`cpuacct` or `cpu,cpuacct`). */
  private readonly mounts = new Map<string, string>();

  constructor(private readonly roots: CgroupRoots) {
    this.version = existsSync(path.join(roots.cgroupRoot, 'cgroup.controllers')) ? 2 : 1;
    if (this.version === 1) {
      let entries: string[] = [];
      try {
        entries = readdirSync(roots.cgroupRoot);
      } catch {
        /* no cgroup fs: locate() fails, the collector falls back */
      }
      for (const e of entries.sort((a, b) => a.length - b.length))
        for (const c of e.split(',')) if (!this.mounts.has(c)) this.mounts.set(c, path.join(roots.cgroupRoot, e));
    }
  }

  /** The cgroup of container `id` whose init is `pid`; null when it can't be found. */
  locate(id: string, pid: number | null): CgroupLocation | null {
    let byController = new Map<string, string>();
    if (pid) {
      try {
        byController = parseProcCgroup(readFileSync(path.join(this.roots.procRoot, String(pid), 'cgroup'), 'utf8'));
      } catch {
        /* exited, or no /proc: guess */
      }
    }
    const candidates = (controller: string) => {
      const own = byController.get(controller);
      return [...(own ? [own] : []), ...guessedCgroupPaths(id)];
    };
    if (this.version === 2) {
      const dir = candidates('').map((p) => path.join(this.roots.cgroupRoot, p)).find((d) => existsSync(path.join(d, 'cpu.stat')));
      return dir ? { version: 2, dir } : null;
    }
    const found: Record<string, string | null> = {};
    for (const c of V1_CONTROLLERS) {
      const mount = this.mounts.get(c);
      found[c] = mount ? (candidates(c).map((p) => path.join(mount, p)).find((d) => existsSync(d)) ?? null) : null;
    }
    if (!found.cpuacct || !found.memory) return null;
    return { version: 1, cpuacct: found.cpuacct, memory: found.memory, blkio: found.blkio ?? null };
  }

  /** One reading; throws when the cgroup is gone (the container stopped). */
  read(loc: CgroupLocation, pid: number | null): Usage {
    const netDev = pid ? opt(path.join(this.roots.procRoot, String(pid), 'net', 'dev')) : undefined;
    if (loc.version === 2) {
      const f = (name: string) => opt(path.join(loc.dir, name));
      return usageV2({ cpuStat: f('cpu.stat'), memoryCurrent: f('memory.current'), memoryStat: f('memory.stat'), memoryMax: f('memory.max'), ioStat: f('io.stat'), netDev });
    }
    const m = (name: string) => opt(path.join(loc.memory, name));
    return usageV1({
      cpuacctUsage: opt(path.join(loc.cpuacct, 'cpuacct.usage')),
      memoryUsage: m('memory.usage_in_bytes'),
      memoryStat: m('memory.stat'),
      memoryLimit: m('memory.limit_in_bytes'),
      blkio: loc.blkio ? opt(path.join(loc.blkio, 'blkio.throttle.io_service_bytes')) : undefined,
      netDev,
    });
  }

  /** Whether the process is still there (a restarted container has a new init). */
  alive(pid: number): boolean {
    return existsSync(path.join(this.roots.procRoot, String(pid)));
  }
}

function opt(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
