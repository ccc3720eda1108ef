// The log stage's values: one shipped line (LogEntry), the filters users query and follow
// with, and the sink contract every store implements (SQLite, Loki).

export type LogStream = 'stdout' | 'stderr' | 'build' | 'deploy' | `file:${string}`;

export interface LogEntry {
  /** RFC 3339 UTC with exactly nine fraction digits, so text order is time order. */
  ts: string;
  app: string;
  service: string;
  /** Container name; '' for build/deploy output. */
  container: string;
  stream: LogStream;
  release: number | null;
  line: string;
}

export interface LogFilters {
  app: string;
  service?: string;
  /** `stdout`, `stderr`, `build`, `deploy`, or `file` (any file) / `file:/path`. */
  stream?: string;
  release?: number;
  since?: Date;
  until?: Date;
  /** Case-insensitive substring. */
  grep?: string;
  /** Only containers whose names match one of these GLOB patterns (a job run's, for
   *  `slipway logs APP --run ID`: `slipway-APP-TASK-runID-*`). */
  containers?: string[];
  limit?: number;
}

/** A store lines are pushed to, in order. One contract suite covers every implementation. */
export interface LogSink {
  push(entries: readonly LogEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** Where a container's stdout/stderr shipping stopped (see docker/logs.ts for `since`). */
export interface ContainerCheckpoint {
  container: string;
  /** Engine timestamp of the last consumed frame (nine fraction digits). */
  ts: string;
  /** Frames consumed that carry exactly `ts`: `since` is inclusive, so these are skipped. */
  count: number;
  /** Bytes of a line Docker split (> 16 KiB) whose last chunk has not arrived yet. */
  pending: { stdout: Buffer | null; stderr: Buffer | null };
  /** The container had exited and everything it wrote is shipped. */
  done: boolean;
}

/** Where a file tail stopped: by inode, so a renamed (rotated) file is finished, not lost. */
export interface FileCheckpoint {
  volume: string;
  inode: string;
  /** Path inside the container when the file was first seen; the entry's stream names it. */
  path: string;
  offset: number;
}

/** Date → the stored timestamp form (`2024-05-01T10:00:00.123000000Z`). */
export function isoNano(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Normalises an RFC 3339 timestamp with 0–9 fraction digits (UTC, `Z`) to nine digits. */
export function normalizeTs(ts: string): string | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return null;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}
