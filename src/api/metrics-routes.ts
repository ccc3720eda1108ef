// GET /api/apps/:app/metrics (what `slipway metrics` and the dashboard draw) and GET /metrics
// (Prometheus): admin token, or none from loopback when SLIPWAY_METRICS_PUBLIC is set.
import express, { type Request, type Response } from 'express';
import { parseDurationMs } from '../config.js';
import { UserError } from '../errors.js';
import type { MetricsService } from '../metrics/service.js';
import type { State } from '../state/index.js';
import { requireToken } from './auth.js';

const MAX_POINTS = 1000;

export function metricsRouter(deps: { state: State; metrics: MetricsService }): express.Router {
  const r = express.Router({ mergeParams: true });
  r.get('/', (req: Request<{ app: string }>, res: Response) => {
    const app = deps.state.apps.get(req.params.app);
    const since = parseDurationMs(typeof req.query.since === 'string' ? req.query.since : '1h');
    if (!since || since <= 0) throw new UserError(`since must be a duration such as 15m, 1h or 7d, not ${JSON.stringify(req.query.since)}`, 422);
    const points = req.query.points === undefined ? 60 : Number(req.query.points);
    if (!Number.isInteger(points) || points < 1 || points > MAX_POINTS) throw new UserError(`points must be 1–${MAX_POINTS}`, 422);
    const service = typeof req.query.service === 'string' && req.query.service ? req.query.service : undefined;
    res.json(deps.metrics.view(app.name, { service, sinceMs: since, points }));
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
