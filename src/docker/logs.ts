// The Docker side of log shipping: container logs over the Engine API (multiplexed frames,
// engine timestamps, `since` to resume), container start events, and volume host paths.
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { LABELS } from '../domain.js';
import { containerEvents } from './events.js';
import type { LogFrame, LogSource, ShippedContainer } from '../logs/ports.js';

/**
 * Splits the Engine's multiplexed stream into frames: an 8-byte header (stream type byte, three
 * zero bytes, big-endian payload length) before each payload. Chunks may cut frames anywhere.
 * https://docs.docker.com/reference/api/engine/version/v1.47/#tag/Container/operation/ContainerAttach
 */
export class FrameParser {
  private rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: LogFrame[] = [];
    let at = 0;
    while (buf.length - at >= 8) {
      const size = buf.readUInt32BE(at + 4);
      if (buf.length - at - 8 < size) break;
      const type = buf[at]!;
      // 0 = stdin (never sent for logs), 1 = stdout, 2 = stderr.
      if (type === 1 || type === 2) {
        out.push({ stream: type === 2 ? 'stderr' : 'stdout', payload: buf.subarray(at + 8, at + 8 + size) });
      }
      at += 8 + size;
    }
    // Copy the tail so the (possibly large) chunk it came from can be collected.
    this.rest = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
    return out;
  }
}

/** `2024-05-01T10:00:00.123456789Z` → `1714557600.123456789`, the `since` form Docker parses. */
export function sinceParam(ts: string): string {
  const seconds = Math.floor(Date.parse(ts.slice(0, 19) + 'Z') / 1000);
  const fraction = /\.(\d+)Z$/.exec(ts)?.[1] ?? '0';
  return `${seconds}.${fraction.padEnd(9, '0')}`;
}

export class DockerLogs implements LogSource {
  constructor(private readonly docker: Docker) {}

  async list(label: string): Promise<ShippedContainer[]> {
    const rows = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    return rows.map((r) => ({
      id: r.Id,
      name: (r.Names[0] ?? r.Id).replace(/^\//, ''),
      labels: r.Labels ?? {},
      running: r.State === 'running',
    }));
  }

  async inspect(id: string): Promise<ShippedContainer | null> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      return { id: c.Id, name: c.Name.replace(/^\//, ''), labels: c.Config.Labels ?? {}, running: c.State.Running };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return null;
      throw e;
    }
  }

  async *frames(id: string, since: string | null, signal: AbortSignal): AsyncIterable<LogFrame[]> {
    const opts = { follow: true as const, stdout: true, stderr: true, timestamps: true, abortSignal: signal };
    // dockerode types `since` as a number; the Engine takes `seconds.nanoseconds` and we need
    // the nanoseconds to resume exactly.
    const query = since ? { ...opts, since: sinceParam(since) as unknown as number } : opts;
    const stream = (await this.docker.getContainer(id).logs(query)) as unknown as Readable;
    const parser = new FrameParser();
    try {
      for await (const chunk of stream) {
        const frames = parser.push(chunk as Buffer);
        if (frames.length) yield frames;
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      stream.destroy();
    }
  }

  async *starts(label: string, signal: AbortSignal): AsyncIterable<string> {
    for await (const ev of await containerEvents(this.docker, { event: ['start'], label: [label] }, signal)) yield ev.id;
  }

  async volume(name: string): Promise<{ path: string; app: string | null } | null> {
    try {
      const v = await this.docker.getVolume(name).inspect();
      return { path: v.Mountpoint, app: v.Labels?.[LABELS.app] ?? null };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return null;
      throw e;
    }
  }
}
