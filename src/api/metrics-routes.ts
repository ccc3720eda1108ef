// GET /api/apps/:app/metrics (what `slipway metrics` and the dashboard draw), GET /api/metrics
// (every app's totals, for sparklines) and GET /metrics
// (Prometheus): admin token, or none from loopback when SLIPWAY_METRICS_PUBLIC is set.
import express, { type Request, type Response } from 'express';
import { parseDurationMs } from '../config.js';
import { UserError } from '../errors.js';
import type { MetricsService } from '../metrics/service.js';
import type { State } from '../state/index.js';
import { requireToken } from './auth.js';

const MAX_POINTS = 1000;

/** `?since=1h&points=60` → a window and a number of points, or a 422 naming what is accepted. */
function windowOf(query: Request['query']): { sinceMs: number; points: number } {
  const since = parseDurationMs(typeof query.since === 'string' ? query.since : '1h');
  if (!since || since <= 0) throw new UserError(`since must be a duration such as 15m, 1h or 7d, not ${JSON.stringify(query.since)}`, 422);
  const points = query.points === undefined ? 60 : Number(query.points);
  if (!Number.isInteger(points) || points < 1 || points > MAX_POINTS) throw new UserError(`points must be 1–${MAX_POINTS}`, 422);
  return { sinceMs: since, points };
}

export function metricsRouter(deps: { state: State; metrics: MetricsService }): express.Router {
  const r = express.Router({ mergeParams: true });
  r.get('/', (req: Request<{ app: string }>, res: Response) => {
    const app = deps.state.apps.get(req.params.app);
    const service = typeof req.query.service === 'string' && req.query.service ? req.query.service : undefined;
    res.json(deps.metrics.view(app.name, { service, ...windowOf(req.query) }));
  });
  return r;
}

/** GET /api/metrics — every app's CPU and requests/s, services summed (the apps list's sparklines). */
export function appTotalsRouter(deps: { state: State; metrics: MetricsService }): express.Router {
  const r = express.Router();
  r.get('/', (req: Request, res: Response) => {
    res.json(deps.metrics.totals(deps.state.apps.list().map((a) => a.name), windowOf(req.query)));
  });
  return r;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** `/metrics`: the token as for /api, unless `open` and the scraper is on this machine. */
export function prometheusRouter(deps: { state: State; open: boolean; render: () => string }): express.Router {
  const r = express.Router();
  const auth = requireToken(deps.state.tokens);
  r.get('/', (req, res, next) => {
    if (deps.open && LOOPBACK.test(req.socket.remoteAddress ?? '')) return next();
    auth(req, res, next);
  }, (_req, res) => {
    res.type('text/plain; version=0.0.4; charset=utf-8').send(deps.render());
  });
  return r;
}
