// Server-sent events, the one way the API pushes live data (log follow, deploy output, the
// dashboard's change feed): headers that keep proxies from buffering, a comment line now and then
// so idle timeouts don't close a quiet stream, and writes that wait for a slow reader.
import type { Request, Response } from 'express';
import { onceDrained } from './http.js';

/** Comment lines keep proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export interface SseEvent {
  /** Sent as `id:`; a reconnecting EventSource sends the last one back in Last-Event-ID. */
  id?: string | number;
  event?: string;
  data: string;
}

/** One event's wire text. `data` may hold newlines (one `data:` field each); CRs are dropped,
 *  since the format ends a field at CR too. */
export function sseText(e: SseEvent): string {
  let out = '';
  if (e.id !== undefined) out += `id: ${e.id}\n`;
  if (e.event) out += `event: ${e.event}\n`;
  for (const line of e.data.replace(/\r/g, '').split('\n')) out += `data: ${line}\n`;
  return out + '\n';
}

export function wantsEventStream(req: Request): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

export interface EventStream {
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Writes one event; resolves when the socket can take more. */
  send(e: SseEvent): Promise<void>;
  end(): void;
}

export function openEventStream(req: Request, res: Response): EventStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write(': open\n\n');
  const ac = new AbortController();
  const stop = () => ac.abort();
  req.on('close', stop);
  res.on('close', stop);
  const beat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  ac.signal.addEventListener('abort', () => clearInterval(beat));
  return {
    signal: ac.signal,
    async send(e) {
      // Wait for the socket when the client reads slowly, instead of buffering without bound.
      if (!res.write(sseText(e))) await onceDrained(res, ac.signal);
    },
    end() {
      clearInterval(beat);
      req.off('close', stop);
      res.end();
    },
  };
}
