// What the log shippers need from Docker, as an interface: src/docker/logs.ts implements it
// against the Engine API; unit tests can hand in a fake.

export interface ShippedContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
}

/** One frame of the Engine's multiplexed log stream (payload starts with its timestamp). */
export interface LogFrame {
  stream: 'stdout' | 'stderr';
  payload: Buffer;
}

export interface LogSource {
  /** Every container (running or exited) carrying `label`. */
  list(label: string): Promise<ShippedContainer[]>;
  /** null when the container is gone. */
  inspect(id: string): Promise<ShippedContainer | null>;
  /**
   * Follows stdout and stderr with the engine's timestamps from `since` (inclusive, nine
   * fraction digits) until the container stops or `signal` aborts. Yields frames in the
   * engine's order, a chunk at a time; not reading pauses the stream (backpressure).
   */
  frames(id: string, since: string | null, signal: AbortSignal): AsyncIterable<LogFrame[]>;
  /** Ids of containers carrying `label` as they start, until `signal` aborts. */
  starts(label: string, signal: AbortSignal): AsyncIterable<string>;
  /** Host path and `slipway.app` label of a volume, null when it does not exist. */
  volume(name: string): Promise<{ path: string; app: string | null } | null>;
}
