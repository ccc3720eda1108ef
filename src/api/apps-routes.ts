// /api/apps: create, list (with each app's state and last deploy), show, destroy. Thin:
// validation lives in state, teardown in deploy.
import express, { type Request } from 'express';
import { publicApiUrl, type Config } from '../config.js';
import { appState } from '../deploy/app-state.js';
import { UserError } from '../errors.js';
import type { State } from '../state/index.js';
import type { AppRow } from '../state/apps.js';
import type { DeploymentRow } from '../state/deployments.js';
import { body, stringField } from './http.js';

export interface AppLinks {
  gitRemote: string;
  url: string;
}

export function appLinks(config: Config, app: string): AppLinks {
  const base = publicApiUrl(config);
  const port = config.httpPort === 80 ? '' : `:${config.httpPort}`;
  return { gitRemote: `${base}/git/${app}.git`, url: `http://${app}.${config.appsDomain}${port}` };
}

/** A running container, as far as the apps list cares. */
export interface RunningContainer {
  app: string;
  release: number;
}

export function appView(config: Config, state: State, app: AppRow, facts?: { last: DeploymentRow | undefined; running: RunningContainer[] }) {
  const current = state.releases.current(app.id);
  const last = facts ? facts.last : state.deployments.list(app.id, 1)[0];
  const running = facts ? facts.running.filter((c) => c.app === app.name && c.release === current?.version).length : null;
  return {
    name: app.name,
    createdAt: app.createdAt,
    deployBranch: app.deployBranch,
    ...appLinks(config, app.name),
    release: current ? `v${current.version}` : null,
    repo: app.repoUrl ? { url: app.repoUrl, branch: app.repoBranch } : null,
    /** serving | deploying | failed | stopped | new (see deploy/app-state.ts); null when not asked. */
    state: running === null ? null : appState({ release: current?.version ?? null, lastDeploy: last?.status ?? null, running }),
    running,
    lastDeploy: last
      ? { id: last.id, trigger: last.trigger, status: last.status, release: last.releaseVersion === null ? null : `v${last.releaseVersion}`, at: last.finishedAt ?? last.startedAt ?? last.createdAt, error: last.error }
      : null,
    logRetention: logRetention(config, app),
  };
}

/** The limits the app's log lines are held to: its own, else the server's per-app default. */
export function logRetention(config: Config, app: AppRow) {
  return {
    mb: app.logRetentionMb ?? config.appLogRetentionMb,
    days: app.logRetentionDays ?? config.logRetentionDays,
    own: app.logRetentionMb !== null || app.logRetentionDays !== null,
  };
}

/** A positive number, or null (back to the default); undefined leaves the setting alone. */
function limitField(b: Record<string, unknown>, key: string, min: number): number | null | undefined {
  const v = b[key];
  if (v === undefined) return undefined;
  if (v === null || v === 'default') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UserError(`${key} must be a number ≥ ${min}, or null for the server's default`, 422);
  return n;
}

export interface AppsRouterDeps {
  config: Config;
  state: State;
  /** Slipway's running containers (of one app, or all): what makes an app serving or stopped. */
  running: (app?: string) => Promise<RunningContainer[]>;
  destroyApp: (app: AppRow) => Promise<void>;
  /** What the app takes on disk (shown by apps:info); slow-ish: only for one app. */
  diskUse: (app: AppRow) => Promise<unknown>;
}

export function appsRouter(deps: AppsRouterDeps) {
  const { config, state } = deps;
  const r = express.Router();

  // One engine call and one query for every app: the dashboard lists hundreds at once.
  r.get('/', async (_req, res) => {
    const running = await deps.running();
    const latest = state.deployments.latestPerApp();
    res.json(state.apps.list().map((a) => appView(config, state, a, { last: latest.get(a.id), running })));
  });

  r.post('/', (req, res) => {
    const name = stringField(body(req), 'name')!;
    const app = state.apps.create(name);
    state.apps.event(app.id, 'app.created', `app ${name} created`);
    res.status(201).json(appView(config, state, app));
  });

  r.get('/:app', async (req: Request<{ app: string }>, res) => {
    const app = state.apps.get(req.params.app);
    const current = state.releases.current(app.id);
    // Replicas as the release set them, with any in-place (autoscale) change over them.
    const scaled = current ? { ...current.scale, ...state.scaling.replicas(app.id, current.version) } : {};
    res.json({
      ...appView(config, state, app, { last: state.deployments.list(app.id, 1)[0], running: await deps.running(app.name) }),
      disk: await deps.diskUse(app),
      services: (current?.services ?? []).map((s) => ({ name: s.name, role: s.role, replicas: scaled[s.name] ?? s.replicas })),
    });
  });

  // An app's own log retention, next to the store's global cap (null: back to the default).
  r.put('/:app/log-retention', (req: Request<{ app: string }>, res) => {
    const app = state.apps.get(req.params.app);
    const b = body(req);
    const mb = limitField(b, 'mb', 1);
    const days = limitField(b, 'days', 0);
    if (mb === undefined && days === undefined) throw new UserError('send {"mb": N, "days": N} (null for the default)', 422);
    const updated = state.apps.update(app.name, { logRetentionMb: mb, logRetentionDays: days });
    res.json(logRetention(config, updated));
  });

  r.delete('/:app', async (req: Request<{ app: string }>, res) => {
    const app = state.apps.get(req.params.app);
    if (req.query.confirm !== app.name)
      throw new UserError(`destroying ${app.name} removes its containers, releases and data: pass confirm=${app.name}`, 422);
    await deps.destroyApp(app);
    state.apps.destroy(app.name);
    res.json({ destroyed: app.name });
  });

  return r;
}
