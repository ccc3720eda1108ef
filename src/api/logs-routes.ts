// GET /api/apps/:app/logs — the last N lines with filters (JSON, or text with ?json=0), and
// ?follow=1 for live lines as server-sent events. Mounted with mergeParams after auth.
import express, { type Request, type Response } from 'express';
import type { LogEntry } from '../logs/entry.js';
import { filtersFromQuery } from '../logs/filters.js';
import type { LogService } from '../logs/service.js';
import { openEventStream } from './sse.js';

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
  const stream = openEventStream(req, res);
  try {
    // With ?n= the latest n lines come first, then live ones, without a gap between them.
    const backlog = req.query.n !== undefined ? (filters.limit ?? 0) : 0;
    for await (const e of logs.follow({ ...filters, limit: undefined }, stream.signal, backlog)) await stream.send({ data: JSON.stringify(e) });
  } finally {
    stream.end();
  }
}

function textLine(e: LogEntry): string {
  return `${e.ts} ${e.service}${e.container ? '.' + e.container : ''} ${e.stream} | ${e.line}\n`;
}
