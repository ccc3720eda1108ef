// Where a container's declared log files live on the host: each directory named by a
// `slipway.logs.files` glob is mounted from a volume of its own (per container, since replicas
// write the same file names), which the file shipper tails from the volume's host path.
import path from 'node:path';
import { LABELS } from '../domain.js';
import type { ShippedContainer } from './ports.js';

export interface LogFileMount {
  /** Docker volume name. */
  volume: string;
  /** Directory inside the container. */
  target: string;
  /** Glob of file names inside that directory, e.g. `*.log`. */
  pattern: string;
}

/**
 * `slipway-logs_demo_web_blue_1_0`: a prefix of its own, so no compose volume (`slipway_APP_NAME`,
 * any NAME) can be called the same. A container made before the `_` names keeps the volumes it
 * was created with (`slipway-demo-web-blue-1-logs0`).
 */
export function logVolumeName(containerName: string, i: number): string {
  if (!containerName.startsWith('slipway_')) return `${containerName}-logs${i}`;
  return `slipway-logs_${containerName.slice('slipway_'.length)}_${i}`;
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
    volume: logVolumeName(containerName, i),
    target: dir,
    pattern: patterns.join(','),
  }));
}

/** The services of an app's stored release (null when there is no such app or release). */
export type ReleaseServices = (app: string, release: number) => readonly { name: string; logFiles: string[] }[] | null;

/**
 * The log-file volumes to tail for a container: its service's globs in the release Slipway
 * stored, under volumes named after the container. Never read from the container's labels:
 * Docker copies an image's LABELs onto its containers, so a Dockerfile could name any volume.
 * Only service containers have declared files; the labels read here are ones Slipway sets on
 * every container it creates, which override an image's.
 */
export function declaredLogFiles(c: ShippedContainer, servicesOf: ReleaseServices): LogFileMount[] {
  const kind = c.labels[LABELS.kind];
  const release = Number(c.labels[LABELS.release]);
  if ((kind !== 'web' && kind !== 'worker') || !Number.isInteger(release)) return [];
  const service = servicesOf(c.labels[LABELS.app] ?? '', release)?.find((s) => s.name === c.labels[LABELS.service]);
  return service ? logFileMounts(c.name, service.logFiles) : [];
}
