// Where a container's declared log files live on the host: each directory named by a
// `slipway.logs.files` glob is mounted from a volume of its own (per container, since replicas
// write the same file names), which the file shipper tails from the volume's host path.
import path from 'node:path';

export interface LogFileMount {
  /** Docker volume name. */
  volume: string;
  /** Directory inside the container. */
  target: string;
  /** Glob of file names inside that directory, e.g. `*.log`. */
  pattern: string;
}

export function logFileMounts(containerName: string, globs: string[]): LogFileMount[] {
  const byDir = new Map<string, string[]>();
  for (const g of globs) {
    const dir = path.posix.dirname(g);
    const list = byDir.get(dir) ?? [];
    list.push(path.posix.basename(g));
    byDir.set(dir, list);
  }
  return [...byDir.entries()].map(([dir, patterns], i) => ({
    volume: `${containerName}-logs${i}`,
    target: dir,
    pattern: patterns.join(','),
  }));
}
