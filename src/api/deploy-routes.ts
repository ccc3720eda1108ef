// /api/apps/:app/… — deploys (tar upload, also what the git hook sends), releases, rollback,
// config, scale, builds. Every change becomes a queued deployment; by default the response
// streams its live output as text lines, ending with a status line (see queue/progress.ts).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import express, { type Request, type Response } from 'express';
import type { Trigger } from '../domain.js';
import { DiskFullError, NotFoundError, UserError, isDiskFull } from '../errors.js';
import { STATUS_PREFIX, outcomeOf, type DeployProgress } from '../queue/progress.js';
import type { Uploads } from '../queue/uploads.js';
import type { State } from '../state/index.js';
import type { DeploymentRow } from '../state/deployments.js';
import { MAX_QUANTITY } from '../build/app-json.js';
import { formationManaged, formationOf, formationRefusal } from '../deploy/formation.js';
import { body, onceDrained } from './http.js';
import { openEventStream, wantsEventStream } from './sse.js';

export interface DeployRoutesDeps {
  state: State;
  progress: DeployProgress;
  uploads: Uploads;
  /** Largest upload accepted (SLIPWAY_MAX_PUSH_MB); default 1 GiB. */
  maxUploadBytes?: number;
  enqueue(d: DeploymentRow): Promise<void>;
}

type AppReq = Request<{ app: string; id?: string }>;

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `?deploy=false` (the CLI's --no-deploy): store the change for the next deploy, make no release. */
const noDeploy = (req: Request) => req.query.deploy === 'false' || req.query.deploy === '0';

/** Dokku's `config:set --encoded`: values arrive base64-encoded (binary-safe, any shell). */
function decoded(key: string, value: string): string {
  const v = value.replace(/\s+/g, '');
  if (!BASE64.test(v)) throw new UserError(`value of ${key} is not valid base64 (--encoded expects KEY=BASE64)`, 422);
  return Buffer.from(v, 'base64').toString('utf8');
}

const mib = (bytes: number) => (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);

export function deployRouter(deps: DeployRoutesDeps): express.Router {
  const { state, progress } = deps;
  const r = express.Router({ mergeParams: true });

  /** Queues the deployment; answers with its live output, or 202 JSON when ?wait=0. */
  async function queueAndAnswer(req: AppReq, res: Response, d: DeploymentRow) {
    await deps.enqueue(d);
    if (req.query.wait === '0') {
      res.status(202).json({ deploymentId: d.id, status: d.status });
      return;
    }
    await streamOutput(req, res, d.id);
  }

  /** The deployment's output so far, then live: text lines, or server-sent events (one per line,
   *  `id` = its line number, so a reconnecting EventSource resumes; the outcome as `event: status`). */
  async function streamOutput(req: AppReq, res: Response, id: number) {
    if (wantsEventStream(req)) {
      res.setHeader('X-Deployment-Id', String(id));
      const stream = openEventStream(req, res);
      const seen = Number(req.headers['last-event-id'] ?? -1);
      let n = 0;
      try {
        for await (const line of progress.follow(id, stream.signal)) {
          const i = n++;
          if (line.startsWith(STATUS_PREFIX)) await stream.send({ id: i, event: 'status', data: line.slice(STATUS_PREFIX.length) });
          else if (i > seen) await stream.send({ id: i, data: line });
        }
      } finally {
        stream.end();
      }
      return;
    }
    res.status(200).type('text/plain; charset=utf-8').setHeader('X-Deployment-Id', String(id));
    res.setHeader('Cache-Control', 'no-cache');
    res.flushHeaders();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    for await (const line of progress.follow(id, ac.signal)) if (!res.write(line + '\n')) await onceDrained(res, ac.signal);
    res.end();
  }

  r.post('/deploys', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const trigger: Trigger = req.query.trigger === 'push' ? 'push' : 'cli';
    const ref = typeof req.query.ref === 'string' ? req.query.ref : 'upload';
    const claimedSha = typeof req.query.sha === 'string' ? req.query.sha : '';
    if (claimedSha && !/^[0-9a-f]{40}$/.test(claimedSha)) throw new UserError('sha must be 40 hex digits');
    const d = state.deployments.create(app.id, { trigger, sha: claimedSha || null, ref, params: {} });
    const file = deps.uploads.file(d.id);
    // Nothing runs a deployment whose upload failed: it ends here, its output too.
    const fail = (error: string) => {
      deps.uploads.remove(d.id);
      state.deployments.update(d.id, { status: 'failed', error });
      progress.finish(d.id, { status: 'failed', error });
    };
    const hash = createHash('sha1');
    let size = 0;
    const max = deps.maxUploadBytes ?? 1024 ** 3;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) return cb(new UserError(`upload is larger than ${mib(max)} (SLIPWAY_MAX_PUSH_MB)`, 413));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(req, meter, createWriteStream(file));
    } catch (e) {
      const err = e instanceof UserError ? e : isDiskFull(e) ? new DiskFullError('cannot store the upload', e) : new UserError(`upload failed: ${(e as Error).message}`);
      fail(err.message);
      throw err;
    }
    if (size === 0) {
      fail('empty upload');
      throw new UserError('empty upload: send a tar of the app directory');
    }
    const sha = claimedSha || hash.digest('hex');
    state.db.prepare('UPDATE deployments SET sha = ?, params = ? WHERE id = ?').run(sha, JSON.stringify({ upload: file }), d.id);
    await queueAndAnswer(req, res, state.deployments.get(d.id));
  });

  r.get('/deploys', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    res.json(state.deployments.list(app.id).map(({ params: _p, appId: _a, ...d }) => d));
  });

  r.get('/deploys/:id/output', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const d = state.deployments.get(Number(req.params.id));
    if (d.appId !== app.id) throw new NotFoundError(`no deployment ${req.params.id} for ${app.name}`);
    // A deployment that has ended has an output that ends, whatever ended it.
    const outcome = outcomeOf(d);
    if (outcome) progress.ensureFinished(d.id, outcome);
    await streamOutput(req, res, d.id);
  });

  r.get('/releases', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const made = new Map(state.deployments.list(app.id, 1000).filter((d) => d.releaseVersion !== null).map((d) => [d.releaseVersion!, d]));
    res.json(
      state.releases.list(app.id).map((rel) => ({
        version: rel.version,
        /** What made it (push, webhook, cli, rollback, config, scale), when its deployment is known. */
        trigger: made.get(rel.version)?.trigger ?? null,
        description: rel.description,
        status: rel.status,
        sha: rel.sha,
        image: rel.image.ref,
        digest: rel.image.digest,
        createdAt: rel.createdAt,
        error: rel.error,
      })),
    );
  });

  r.post('/rollback', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const raw = body(req).version;
    let version: number | undefined;
    if (raw !== undefined && raw !== null) {
      version = Number(String(raw).replace(/^v/, ''));
      if (!Number.isInteger(version) || version < 1) throw new UserError(`bad release ${JSON.stringify(raw)}: use v3 or 3`, 422);
      if (!state.releases.find(app.id, version)) throw new NotFoundError(`${app.name} has no release v${version}`);
    }
    if (!state.releases.current(app.id)) throw new UserError(`${app.name} has no release yet`, 409);
    const d = state.deployments.create(app.id, { trigger: 'rollback', params: version ? { version } : {} });
    await queueAndAnswer(req, res, d);
  });

  r.get('/config', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    res.json(state.apps.config(app.id));
  });

  r.post('/config', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const b = body(req);
    const set = (b.set ?? {}) as Record<string, unknown>;
    const unset = (b.unset ?? []) as unknown[];
    if (typeof set !== 'object' || Array.isArray(set) || !Array.isArray(unset)) throw new UserError('send {"set": {KEY: VALUE}, "unset": [KEY]}', 422);
    const changes: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(set)) {
      if (!ENV_KEY.test(k)) throw new UserError(`bad config key ${JSON.stringify(k)}: letters, digits and _ , not starting with a digit`, 422);
      if (typeof v !== 'string') throw new UserError(`value of ${k} must be a string`, 422);
      changes[k] = b.encoded === true ? decoded(k, v) : v;
    }
    for (const k of unset) {
      if (typeof k !== 'string' || !ENV_KEY.test(k)) throw new UserError(`bad config key ${JSON.stringify(k)}`, 422);
      changes[k] = null;
    }
    if (Object.keys(changes).length === 0) throw new UserError('nothing to change', 422);
    state.apps.setConfig(app.id, changes);
    const words = [
      Object.keys(set).length ? `Set ${Object.keys(set).join(', ')}` : '',
      unset.length ? `Unset ${unset.join(', ')}` : '',
    ].filter(Boolean);
    if (!state.releases.current(app.id) || noDeploy(req)) {
      const when = state.releases.current(app.id) ? 'the next deploy' : 'the first deploy';
      res.json({ config: state.apps.config(app.id), message: `${words.join('; ')}: saved; it applies to ${when}` });
      return;
    }
    const d = state.deployments.create(app.id, { trigger: 'config', params: { description: words.join('; ') } });
    await queueAndAnswer(req, res, d);
  });

  r.post('/scale', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const current = state.releases.current(app.id);
    if (!current && !noDeploy(req)) throw new UserError(`${app.name} has no release yet: push code first (or scale --no-deploy to set the replicas its first deploy runs)`, 409);
    if (current && formationManaged(current)) throw formationRefusal(app.name);
    const scale: Record<string, number> = {};
    for (const [k, v] of Object.entries(body(req))) {
      if (current && !current.services.some((s) => s.name === k))
        throw new UserError(`${app.name} has no service ${k} (services: ${current.services.map((s) => s.name).join(', ')})`, 422);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(k)) throw new UserError(`bad service name ${JSON.stringify(k)}`, 422);
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > MAX_QUANTITY) throw new UserError(`${k}=${String(v)}: replicas must be 0–${MAX_QUANTITY}`, 422);
      scale[k] = n;
    }
    if (Object.keys(scale).length === 0) throw new UserError('nothing to scale: send {"web": 3}', 422);
    if (noDeploy(req)) {
      state.apps.savePendingScale(app.id, scale);
      const words = Object.entries(scale).map(([k, v]) => `${k}=${v}`).join(' ');
      res.json({ pending: state.apps.pendingScale(app.id), message: `Scale ${words}: saved; it applies to the ${current ? 'next' : 'first'} deploy` });
      return;
    }
    const d = state.deployments.create(app.id, { trigger: 'scale', params: { scale } });
    await queueAndAnswer(req, res, d);
  });

  /** Every process type of the serving release with its replicas, those at 0 included. */
  r.get('/formation', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const current = state.releases.current(app.id);
    res.json({ release: current ? `v${current.version}` : null, formation: current ? formationOf(current) : [], pending: state.apps.pendingScale(app.id) });
  });

  r.get('/builds', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    res.json(state.builds.list(app.id).map(({ logPath: _l, ...b }) => b));
  });

  r.get('/builds/:id/log', async (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const b = state.builds.find(app.id, Number(req.params.id));
    if (!b) throw new NotFoundError(`${app.name} has no build ${req.params.id}`);
    if (!existsSync(b.logPath)) throw new NotFoundError(`the output of build ${b.id} is gone`);
    res.type('text/plain; charset=utf-8');
    // A client that goes away mid-way is not an error worth logging.
    await pipeline(createReadStream(b.logPath), res).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
    });
  });

  return r;
}
