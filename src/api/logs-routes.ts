// GET /api/apps/:app/logs — the last N lines with filters (JSON, or text with ?json=0), and
// ?follow=1 for live lines as server-sent events. Mounted with mergeParams after auth.
import express, { type Request, type Response } from 'express';
import type { LogEntry } from '../logs/entry.js';
import { filtersFromQuery } from '../logs/filters.js';
import type { LogService } from '../logs/service.js';

/** Comment lines keep proxies and idle timeouts from closing a quiet follow. */
const HEARTBEAT_MS = 15_000;

const truthy = (v: unknown) => v === '1' || v === 'true' || v === 'yes' || v === '';

/** `?run=ID` → the container name patterns of that job run (the jobs stage knows them). */
export type RunContainers = (app: string, run: string) => string[];

export function logsRouter(logs: LogService, runContainers?: RunContainers): express.Router {
  const r = express.Router({ mergeParams: true });

  r.get('/', async (req: Request<{ app: string }>, res: Response) => {
    const filters = filtersFromQuery(req.params.app, req.query as Record<string, unknown>);
    if (typeof req.query.run === 'string' && req.query.run && runContainers) filters.containers = runContainers(req.params.app, req.query.run);
    if (req.query.follow !== undefined && truthy(req.query.follow)) {
      await follow(logs, filters, req, res);
      return;
    }
    const entries = logs.query(filters);
    if (req.query.json !== undefined && !truthy(req.query.json)) {
      res.type('text/plain; charset=utf-8').send(entries.map(textLine).join(''));
      return;
    }
    res.json(entries);
  });

  return r;
}

async function follow(logs: LogService, filters: ReturnType<typeof filtersFromQuery>, req: Request, res: Response): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write(': following\n\n');
  const ac = new AbortController();
  const stop = () => ac.abort();
  req.on('close', stop);
  res.on('close', stop);
  const beat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  try {
    // With ?n= the latest n lines come first, then live ones, without a gap between them.
    const backlog = req.query.n !== undefined ? (filters.limit ?? 0) : 0;
    for await (const e of logs.follow({ ...filters, limit: undefined }, ac.signal, backlog)) {
      // Wait for the socket when the client reads slowly, instead of buffering without bound.
      if (!res.write(`data: ${JSON.stringify(e)}\n\n`)) await onceDrained(res, ac.signal);
    }
  } finally {
    clearInterval(beat);
    req.off('close', stop);
    res.end();
  }
}

function onceDrained(res: Response, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done);
  });
}

function textLine(e: LogEntry): string {
  return `${e.ts} ${e.service}${e.container ? '.' + e.container : ''} ${e.stream} | ${e.line}\n`;
}
