// /api/apps/:app/… — jobs (the graph and its last results), runs (start, history, detail,
// cancel) and cron (schedules, suspend, resume). Thin: the jobs stage does the work.
import express, { type Request } from 'express';
import { UserError } from '../errors.js';
import type { JobRunner } from '../jobs/runner.js';
import type { Scheduler } from '../jobs/scheduler.js';
import { cronView, jobsOf, jobsView, runSummary, runView } from '../jobs/views.js';
import type { State } from '../state/index.js';
import { body, stringField } from './http.js';

type AppReq = Request<{ app: string; id?: string }>;

export function jobsRouter(deps: { state: State; runner: JobRunner; scheduler: Scheduler }): express.Router {
  const { state, runner } = deps;
  const r = express.Router({ mergeParams: true });
  const runId = (req: AppReq) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || id < 1) throw new UserError(`bad run id ${JSON.stringify(req.params.id)}: a number, as slipway runs lists`, 422);
    return id;
  };

  r.get('/jobs', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const release = runner.currentRelease(app);
    res.json({ release: `v${release.version}`, jobs: jobsView(release, state.runs.list(app.id, { limit: 50 })) });
  });

  r.post('/jobs/run', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const task = stringField(body(req), 'task', false) ?? null;
    res.status(201).json(runView(runner.start(app, { trigger: 'manual', task })));
  });

  r.get('/runs', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const schedule = typeof req.query.schedule === 'string' ? req.query.schedule : undefined;
    res.json(state.runs.list(app.id, { schedule, limit: Number(req.query.limit ?? 50) || 50 }).map(runSummary));
  });

  r.get('/runs/:id', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const run = state.runs.find(app.id, runId(req));
    if (!run) throw new UserError(`${app.name} has no run ${req.params.id} (see: slipway runs ${app.name})`, 404);
    res.json(runView(run));
  });

  r.post('/runs/:id/cancel', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    res.json(runView(runner.cancel(app, runId(req))));
  });

  r.get('/cron', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const release = runner.currentRelease(app);
    res.json(cronView(release, state.runs.schedules(app.id), (name) => state.runs.list(app.id, { schedule: name, limit: 1 })[0], new Date()));
  });

  for (const action of ['suspend', 'resume'] as const) {
    r.post(`/cron/${action}`, (req: AppReq, res) => {
      const app = state.apps.get(req.params.app);
      const release = runner.currentRelease(app);
      const scheduled = jobsOf(release).filter((s) => s.job?.schedule).map((s) => s.name);
      const name = stringField(body(req), 'name', false);
      if (name && !scheduled.includes(name)) throw new UserError(`${app.name} has no schedule ${JSON.stringify(name)} (schedules: ${scheduled.join(', ') || 'none'})`, 404);
      const now = new Date().toISOString();
      for (const n of name ? [name] : scheduled) state.runs.setSuspended(app.id, n, action === 'suspend', now);
      deps.scheduler.refresh();
      res.json(cronView(release, state.runs.schedules(app.id), (n) => state.runs.list(app.id, { schedule: n, limit: 1 })[0], new Date()));
    });
  }
  return r;
}
