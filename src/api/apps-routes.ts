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
  };
}

export function appsRouter(deps: { config: Config; state: State; destroyApp: (app: AppRow) => Promise<void> }) {
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

  r.get('/:app', (req: Request<{ app: string }>, res) => {
    res.json(appView(config, state, state.apps.get(req.params.app)));
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
