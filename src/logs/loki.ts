// Grafana Loki as an extra sink: the push API (POST /loki/api/v1/push, JSON), one Loki stream
// per app/service/stream/release. A forwarder feeds it from the SQLite store behind a stored
// cursor, so a Loki outage or a Slipway restart delays lines but loses none and needs no buffer.
// https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs
import { setTimeout as sleep } from 'node:timers/promises';
import { TransientError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { LogEntry, LogSink } from './entry.js';
import type { LogStore } from './store.js';

interface LokiStream {
  stream: Record<string, string>;
  values: [string, string][];
}

/** `2024-05-01T10:00:00.123456789Z` → nanoseconds since the epoch, as Loki wants (a string). */
export function lokiTimestamp(ts: string): string {
  const seconds = Math.floor(Date.parse(ts.slice(0, 19) + 'Z') / 1000);
  const fraction = (/\.(\d+)Z$/.exec(ts)?.[1] ?? '').padEnd(9, '0').slice(0, 9);
  return `${seconds}${fraction}`;
}

/** Entries → the push body; order within each stream is kept. */
export function lokiPushBody(entries: readonly LogEntry[]): { streams: LokiStream[] } {
  const streams = new Map<string, LokiStream>();
  for (const e of entries) {
    const labels: Record<string, string> = { app: e.app, service: e.service, stream: e.stream };
    if (e.release !== null) labels.release = String(e.release);
    const key = JSON.stringify(labels);
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { stream: labels, values: [] }));
    s.values.push([lokiTimestamp(e.ts), e.line]);
  }
  return { streams: [...streams.values()] };
}

export class LokiSink implements LogSink {
  private readonly endpoint: string;

  constructor(baseUrl: string, private readonly headers: Record<string, string> = {}) {
    this.endpoint = baseUrl.replace(/\/+$/, '') + '/loki/api/v1/push';
  }

  async push(entries: readonly LogEntry[]): Promise<void> {
    if (!entries.length) return;
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.headers },
        body: JSON.stringify(lokiPushBody(entries)),
      });
    } catch (e) {
      throw new TransientError(`cannot reach Loki at ${this.endpoint}: ${errorMessage(e)}`);
    }
    if (res.ok) return;
    const text = (await res.text()).slice(0, 500);
    // 429 and 5xx pass with time; other 4xx (too old, too long) never will.
    const message = `Loki answered ${res.status} to a push: ${text}`;
    throw res.status === 429 || res.status >= 500 ? new TransientError(message) : new Error(message);
  }

  async close(): Promise<void> {}
}

export interface ForwardDeps {
  name: string;
  sink: LogSink;
  store: LogStore;
  signal: AbortSignal;
  logger: Logger;
  /** Resolves when new lines were committed. */
  changed(signal: AbortSignal): Promise<void>;
  batch?: number;
}

/** Pushes every stored line after the sink's cursor, then waits for more, until aborted. */
export async function forwardToSink(d: ForwardDeps): Promise<void> {
  const cursorName = `sink:${d.name}`;
  let failures = 0;
  while (!d.signal.aborted) {
    const rows = d.store.after(d.store.cursor(cursorName), null, d.batch ?? 1000);
    if (!rows.length) {
      await Promise.race([d.changed(d.signal), sleep(5000, undefined, { signal: d.signal })]).catch(() => undefined);
      continue;
    }
    try {
      await d.sink.push(rows);
      failures = 0;
    } catch (e) {
      if (e instanceof TransientError) {
        d.logger.warn(`log sink ${d.name} failed; retrying`, { error: errorMessage(e) });
        await sleep(Math.min(60_000, 500 * 2 ** failures++), undefined, { signal: d.signal }).catch(() => undefined);
        continue;
      }
      d.logger.error(`log sink ${d.name} refused ${rows.length} lines; skipping them`, { error: errorMessage(e) });
    }
    d.store.setCursor(cursorName, rows[rows.length - 1]!.id);
  }
}
