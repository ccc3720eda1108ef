// /api/apps: create, list, show, destroy. Thin: validation lives in state, teardown in deploy.
import express, { type Request } from 'express';
import { publicApiUrl, type Config } from '../config.js';
import { UserError } from '../errors.js';
import type { State } from '../state/index.js';
import type { AppRow } from '../state/apps.js';
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

export function appView(config: Config, state: State, app: AppRow) {
  const current = state.releases.current(app.id);
  return {
    name: app.name,
    createdAt: app.createdAt,
    deployBranch: app.deployBranch,
    ...appLinks(config, app.name),
    release: current ? `v${current.version}` : null,
    repo: app.repoUrl ? { url: app.repoUrl, branch: app.repoBranch } : null,
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
  destroyApp: (app: AppRow) => Promise<void>;
  /** What the app takes on disk (shown by apps:info); slow-ish: only for one app. */
  diskUse: (app: AppRow) => Promise<unknown>;
}

export function appsRouter(deps: AppsRouterDeps) {
  const { config, state } = deps;
  const r = express.Router();

  r.get('/', (_req, res) => {
    res.json(state.apps.list().map((a) => appView(config, state, a)));
  });

  r.post('/', (req, res) => {
    const name = stringField(body(req), 'name')!;
    const app = state.apps.create(name);
    state.apps.event(app.id, 'app.created', `app ${name} created`);
    res.status(201).json(appView(config, state, app));
  });

  r.get('/:app', async (req: Request<{ app: string }>, res) => {
    const app = state.apps.get(req.params.app);
    res.json({ ...appView(config, state, app), disk: await deps.diskUse(app) });
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
