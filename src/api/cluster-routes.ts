// /api/cluster — swarm mode: `cluster:init`, `nodes`, `nodes:add` (the join line), `nodes:drain`.
// Long operations stream their progress as text lines ending with a status line, like deploys.
import express, { type Request, type Response } from 'express';
import type { Progress } from '../domain.js';
import { UserError, errorMessage } from '../errors.js';
import type { Cluster } from '../cluster/cluster.js';
import { drainNode, joinInstructions, listNodes } from '../cluster/nodes.js';
import type { DeploymentRow } from '../state/deployments.js';
import type { State } from '../state/index.js';
import { STATUS_PREFIX, statusLine } from '../queue/progress.js';
import { body, stringField } from './http.js';

export interface ClusterRouteDeps {
  cluster: Cluster;
  state: State;
  enqueue(d: DeploymentRow): Promise<void>;
  /** Output of a deployment as it happens, ending when it finished. */
  follow(id: number, signal: AbortSignal): AsyncIterable<string>;
}

/** Streams `work`'s progress lines, then a status line the CLI reads (as deploy streams end). */
async function streamed(res: Response, work: (progress: Progress) => Promise<void>): Promise<void> {
  res.status(200).type('text/plain; charset=utf-8').setHeader('Cache-Control', 'no-cache');
  res.flushHeaders();
  const progress: Progress = (l) => void res.write(l + '\n');
  try {
    await work(progress);
    res.write(statusLine({ status: 'succeeded' }) + '\n');
  } catch (e) {
    for (const line of errorMessage(e).split('\n')) progress(` !     ${line}`);
    res.write(statusLine({ status: 'failed', error: errorMessage(e) }) + '\n');
  }
  res.end();
}

export function clusterRouter(deps: ClusterRouteDeps) {
  const { cluster, state } = deps;
  const r = express.Router();

  r.post('/init', async (req: Request, res) => {
    const b = body(req);
    const opts = { advertiseAddr: stringField(b, 'advertiseAddr', false), addr: stringField(b, 'addr', false) };
    await streamed(res, async (progress) => void (await cluster.init(opts, progress)));
  });

  r.get('/', (_req, res) => {
    const s = cluster.settings;
    res.json(s ? { engine: 'swarm', addr: s.addr, registry: `${s.addr}:${s.registryPort}`, manager: s.managerAddr, since: s.initializedAt } : { engine: 'single' });
  });

  r.get('/nodes', async (_req, res) => {
    cluster.requireSettings();
    res.json(await listNodes(cluster.swarm));
  });

  r.get('/join', async (_req, res) => {
    res.json(await joinInstructions(cluster.swarm, cluster.requireSettings()));
  });

  r.post('/nodes/:node/drain', async (req: Request<{ node: string }>, res) => {
    cluster.requireSettings();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    await streamed(res, (progress) =>
      drainNode(
        {
          swarm: cluster.swarm,
          ownsApp: (a) => state.apps.find(a) !== undefined,
          redeploy: async (app, description, out) => {
            const a = state.apps.get(app);
            if (!state.releases.current(a.id)) throw new UserError(`${app} has no release to move`);
            const d = state.deployments.create(a.id, { trigger: 'drain', params: { description } });
            await deps.enqueue(d);
            for await (const line of deps.follow(d.id, ac.signal)) if (!line.startsWith(STATUS_PREFIX)) out(line);
            return state.deployments.get(d.id).status;
          },
        },
        req.params.node,
        progress,
      ),
    );
  });
  return r;
}
