// /api/apps/:app/… — connecting a remote repository (webhook deploys), its webhook URLs, and
// `ps` (what runs now).
import express, { type Request } from 'express';
import { publicApiUrl, type Config } from '../config.js';
import type { Containers } from '../docker/containers.js';
import type { State } from '../state/index.js';
import { sealCredential } from '../source/secrets.js';
import { repoOrigin, validateBranch, validateRepoUrl } from '../source/repo-url.js';
import { body, stringField } from './http.js';

type AppReq = Request<{ app: string }>;

export function repoRouter(deps: { state: State; config: Config; secretKey: Buffer; containers: Containers }) {
  const { state, config } = deps;
  const r = express.Router({ mergeParams: true });
  const base = () => publicApiUrl(config);
  const hooks = (app: string, secret: string) => ({
    github: `${base()}/webhooks/github/${app}`,
    gitlab: `${base()}/webhooks/gitlab/${app}`,
    generic: `${base()}/webhooks/generic/${app}`,
    secret,
  });

  r.post('/connect', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const b = body(req);
    const repoUrl = validateRepoUrl(stringField(b, 'repo')!, { allowFile: config.allowFileRepos });
    const branch = await validateBranch(stringField(b, 'branch', false) ?? 'main');
    const token = stringField(b, 'token', false);
    // A stored credential belongs to the host it was given for: reconnecting to another host
    // without a new token must not send the old one there (fetch auth, commit statuses).
    const moved = app.repoUrl !== null && repoOrigin(app.repoUrl) !== repoOrigin(repoUrl);
    const credential = token ? 'new' : !app.repoCredential ? 'none' : moved ? 'dropped' : 'kept';
    const updated = state.apps.update(app.name, {
      repoUrl,
      repoBranch: branch,
      repoCredential: token ? sealCredential(deps.secretKey, app.name, { type: 'token', token }) : credential === 'dropped' ? null : undefined,
    });
    res.json({ app: app.name, repo: repoUrl, branch, credential, webhooks: hooks(app.name, updated.webhookSecret) });
  });

  r.get('/webhooks', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    res.json(hooks(app.name, app.webhookSecret));
  });

  r.get('/ps', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const list = await deps.containers.listContainers({ app: app.name, all: true });
    const portOf = (release: number, service: string | null) => state.releases.find(app.id, release)?.services.find((s) => s.name === service)?.port ?? null;
    // Restart counts are only in each container's inspect; an app has a handful.
    const restarts = await Promise.all(list.map((c) => deps.containers.runtime(c.id).then((r) => r?.restartCount ?? null, () => null)));
    res.json(
      list.map((c, i) => ({
        service: c.service,
        name: c.name,
        kind: c.kind,
        color: c.color,
        release: `v${c.release}`,
        state: c.state,
        health: c.health ?? null,
        ip: c.ip,
        port: portOf(c.release, c.service),
        restarts: restarts[i],
      })),
    );
  });
  return r;
}
