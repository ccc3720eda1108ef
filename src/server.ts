// Composition root: builds every stage's adapters from one Config, wires them together, and
// starts the HTTP server. The only place that knows all the parts.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import { type Config, dataPaths } from './config.js';
import type { Logger } from './log.js';
import { openState, type State } from './state/index.js';
import { createHttpApp } from './api/server.js';
import { appLinks, appsRouter } from './api/apps-routes.js';
import { deployRouter } from './api/deploy-routes.js';
import { repoRouter } from './api/repo-routes.js';
import { logsRouter } from './api/logs-routes.js';
import { webhookRouter } from './api/webhook-routes.js';
import { createDocker } from './docker/client.js';
import { Containers } from './docker/containers.js';
import { Networks } from './docker/networks.js';
import { Proxy } from './proxy/haproxy.js';
import { appProxy } from './proxy/app-proxy.js';
import { GitRepos } from './source/repos.js';
import { gitRouter } from './source/git-http.js';
import { loadOrCreateKey, openCredential } from './source/secrets.js';
import { reportStatus } from './source/commit-status.js';
import type { Provider } from './source/webhooks.js';
import { dockerRolloutPorts } from './deploy/ports.js';
import { INTERRUPTED, reconcile } from './deploy/reconcile.js';
import { appNetworkName } from './deploy/container-spec.js';
import { DeployProgress, outcomeOf } from './queue/progress.js';
import { Uploads } from './queue/uploads.js';
import { DeployQueue } from './queue/deploy-queue.js';
import { createPipeline, type CommitStatusReporter } from './queue/pipeline.js';
import { pipelineStages } from './stages.js';
import { LogService } from './logs/service.js';

export interface RunningServer {
  url: string;
  port: number;
  state: State;
  close(): Promise<void>;
}

/** Reads the admin token file, or creates a token and writes it 0600 on first start. */
export function ensureAdminToken(state: State, file: string): string {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing && state.tokens.verify(existing)) return existing;
  } catch {
    /* first start */
  }
  const token = state.tokens.create('admin');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

export interface ServerOptions {
  /** false: accept pushes and webhooks and queue their deploys, but run none (another process
   *  does; tests use it to restart with work still queued). Default true. */
  runDeploys?: boolean;
}

export async function startServer(config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const paths = dataPaths(config);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const state = openState(paths.stateDb);
  ensureAdminToken(state, paths.adminToken);
  const secretKey = loadOrCreateKey(paths.secretKey);

  const docker = createDocker(config);
  const containers = new Containers(docker);
  const networks = new Networks(docker);
  const proxy = new Proxy({ haproxyBin: config.haproxyBin, dir: paths.haproxy, httpPort: config.httpPort, logger });
  await proxy.start();
  const routes = appProxy(proxy, config.appsDomain);
  const ports = dockerRolloutPorts({ docker, containers, networks, proxy: routes, config });
  const repos = new GitRepos(paths.repos);
  const progress = new DeployProgress(path.join(config.dataDir, 'deploys'));
  progress.removeStale((id) => state.deployments.has(id));
  const uploads = new Uploads(path.join(config.dataDir, 'uploads'));
  const logs = new LogService({ docker, config, logger, ownsApp: (app) => state.apps.find(app) !== undefined });
  await logs.start();

  // Only apps connected with a token can set statuses; the provider is the webhook's.
  const commitStatus: CommitStatusReporter = async (d, app, sha, update) => {
    const provider = d.params.provider as Provider | undefined;
    if (!provider || !app.repoUrl || !app.repoCredential) return;
    let token: string;
    try {
      const credential = openCredential(secretKey, app.name, app.repoCredential);
      if (credential.type !== 'token') return;
      token = credential.token;
    } catch (e) {
      logger.warn('commit status skipped: cannot open the repository credential', { app: app.name, error: (e as Error).message });
      return;
    }
    await reportStatus({ provider, repoUrl: app.repoUrl, sha, token, apiBase: config.statusApiUrl, logger, ...update });
  };
  const pipeline = createPipeline({
    state,
    buildsDir: paths.builds,
    appUrl: (app) => appLinks(config, app).url,
    logLine: (app, service, line) => void logs.append({ app, service, stream: service, line }).catch(() => undefined),
    commitStatus,
    stages: pipelineStages({
      config,
      docker,
      ports,
      mirrorsDir: paths.mirrors,
      secretKey,
      appConfig: (id) => state.apps.config(id),
      servingSha: (id) => state.releases.current(id)?.sha ?? null,
    }),
  });
  const queue = new DeployQueue({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    deployments: state.deployments,
    progress,
    run: pipeline,
    logger,
    deployTimeoutSeconds: config.deployTimeoutSeconds,
    finished: (d) => uploads.remove(d.id),
  });

  const reconciled = await reconcile(state, ports, logger);
  for (const d of reconciled.interrupted) {
    progress.finish(d.id, { status: 'interrupted', error: INTERRUPTED });
    // A commit left "pending" by a deploy that died with Slipway would stay pending on the host.
    if (d.trigger === 'webhook' && d.sha)
      void commitStatus(d, state.apps.byId(d.appId), d.sha, { state: 'failure', description: INTERRUPTED }).catch(() => undefined);
  }
  uploads.removeFinished((id) => state.deployments.has(id) && outcomeOf(state.deployments.get(id)) === null);
  if (options.runDeploys !== false) queue.start();
  await queue.resumeQueued();

  let apiUrl = '';
  const app = createHttpApp({
    tokens: state.tokens,
    logger,
    raw: {
      '/git': gitRouter({
        tokens: state.tokens,
        repos,
        reposDir: paths.repos,
        logger,
        apiUrl: () => apiUrl,
        deployBranches: (name) => {
          const a = state.apps.find(name);
          if (!a) return null;
          return a.deployBranch === 'main' ? ['main', 'master'] : [a.deployBranch];
        },
      }),
      '/webhooks': webhookRouter({
        findApp: (name) => state.apps.find(name),
        seenDelivery: (a, id) => state.deliveries.seen(a.id, id),
        enqueue: async (a, push, deliveryId) => {
          const d = state.db.transaction(() => {
            const row = state.deployments.create(a.id, { trigger: 'webhook', sha: push.sha, ref: push.ref, params: { deliveryId, provider: push.provider } });
            state.deliveries.record(a.id, deliveryId, push.provider, row.id);
            return row;
          })();
          await queue.enqueue(d);
          return { deploymentId: d.id };
        },
        logger,
      }),
    },
    api: {
      '/apps': appsRouter({
        config,
        state,
        destroyApp: async (a) => {
          for (const c of await ports.list(a.name)) await ports.remove(c, 0);
          await routes.removeApp(a.name);
          await networks.removeNetwork(appNetworkName(a.name)).catch(() => undefined);
          await networks.removeVolumes(a.name).catch(() => undefined);
          repos.remove(a.name);
        },
      }),
      '/apps/:app': (() => {
        const r = express.Router({ mergeParams: true });
        r.use(deployRouter({ state, progress, uploads, enqueue: (d) => queue.enqueue(d) }));
        r.use(repoRouter({ state, config, secretKey, containers }));
        r.use('/logs', logsRouter(logs));
        return r;
      })(),
    },
    health: () => ({ version: '0.1.0' }),
  });

  const server = http.createServer(app);
  // Pushes wait for build + deploy; never cut a long request short.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  apiUrl = url;
  logger.info('slipway listening', { url, dataDir: config.dataDir });

  return {
    url,
    port,
    state,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Never let one part hold shutdown hostage; what is left is reconciled on the next start.
      await within(5000, queue.close(), logger, 'deploy queue');
      await within(5000, logs.stop(), logger, 'log shippers');
      state.close();
    },
  };
}

async function within(ms: number, work: Promise<unknown>, logger: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const result = await Promise.race([work.then(() => 'done' as const, () => 'done' as const), late]);
  clearTimeout(timer);
  if (result === 'late') logger.warn(`${what} did not stop within ${ms} ms`);
}
