// GET /api/events — the dashboard's live feed as server-sent events: `app` (created, destroyed),
// `deployment` (queued, running, succeeded, failed…, with its release) and `metrics` (a new sample
// is stored). A page re-reads what an event touches; nothing polls. ?app=NAME keeps one app's.
import express, { type Request, type Response } from 'express';
import type { Change } from '../state/changes.js';
import { openEventStream } from './sse.js';

export interface EventSources {
  changes(listener: (c: Change) => void): () => void;
  samples(listener: (ts: number) => void): () => void;
}

export function eventsRouter(sources: EventSources): express.Router {
  const r = express.Router();
  r.get('/', async (req: Request, res: Response) => {
    const only = typeof req.query.app === 'string' && req.query.app ? req.query.app : null;
    const stream = openEventStream(req, res);
    // Sends in order; a slow reader delays later events instead of piling them up unordered.
    let queue = Promise.resolve();
    const push = (event: string, data: unknown) => {
      queue = queue.then(() => stream.send({ event, data: JSON.stringify(data) })).catch(() => undefined);
    };
    const offChanges = sources.changes((c) => {
      if (!only || c.app === only) push(c.kind, c);
    });
    const offSamples = sources.samples((ts) => push('metrics', { ts }));
    await new Promise<void>((resolve) => stream.signal.addEventListener('abort', () => resolve()));
    offChanges();
    offSamples();
    stream.end();
  });
  return r;
}
