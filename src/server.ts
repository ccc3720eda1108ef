// Composition root: builds every stage's adapters from one Config, wires them together, and
// starts the HTTP server. The only place that knows all the parts.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import { type Config, dataPaths, publicApiUrl } from './config.js';
import type { Logger } from './log.js';
import { openState, type State } from './state/index.js';
import { createHttpApp } from './api/server.js';
import { appLinks, appsRouter, logRetention } from './api/apps-routes.js';
import { deployRouter } from './api/deploy-routes.js';
import { repoRouter } from './api/repo-routes.js';
import { logsRouter } from './api/logs-routes.js';
import { webhookRouter } from './api/webhook-routes.js';
import { runRouter } from './api/run-routes.js';
import { portsRouter } from './api/ports-routes.js';
import { imagesRouter } from './api/images-routes.js';
import { createDocker } from './docker/client.js';
import { Containers } from './docker/containers.js';
import { Networks } from './docker/networks.js';
import { ContainerExits } from './docker/exits.js';
import { Proxy } from './proxy/haproxy.js';
import { appProxy, routeApi } from './proxy/app-proxy.js';
import { proxyTls } from './proxy/haproxy-certs.js';
import { withPortRoutes } from './proxy/app-ports.js';
import { AppPorts, servingOf } from './ports/service.js';
import { GitRepos } from './source/repos.js';
import { gitRouter } from './source/git-http.js';
import { loadOrCreateKey, openCredential, stateSealer } from './source/secrets.js';
import { reportStatus } from './source/commit-status.js';
import type { Provider } from './source/webhooks.js';
import { baseImageLookup } from './registry/base-images.js';
import { checkBaseImages, readBaseImages } from './build/base-images.js';
import { inspectImage } from './docker/images.js';
import { tagDigest } from './registry/api.js';
import { RegistryGc } from './registry/gc.js';
import { pruneReleases, type RetentionDeps } from './retention/releases.js';
import { destroyApp } from './retention/destroy.js';
import { appDiskUse } from './retention/disk.js';
import { dockerRolloutPorts } from './deploy/ports.js';
import { INTERRUPTED, reconcile } from './deploy/reconcile.js';
import { singleHostEngine } from './deploy/engine.js';
import { appNetworkName } from './deploy/container-spec.js';
import { OneOffRuns } from './deploy/run.js';
import { DeployProgress, outcomeOf } from './queue/progress.js';
import { Uploads } from './queue/uploads.js';
import { Cluster } from './cluster/cluster.js';
import { agentSecretMatches, loadClusterSettings } from './cluster/settings.js';
import { agentApp, listenAgentApi } from './api/agent-routes.js';
import { clusterRouter } from './api/cluster-routes.js';
import { backendName } from './proxy/haproxy-config.js';
import { DeployQueue } from './queue/deploy-queue.js';
import { createPipeline, type CommitStatusReporter } from './queue/pipeline.js';
import { pipelineStages } from './stages.js';
import { webhookIntake } from './queue/webhook-intake.js';
import { LogService } from './logs/service.js';
import { JobRunner } from './jobs/runner.js';
import { localJobEngine } from './jobs/ports.js';
import { JOB_LABEL_FILTER } from './jobs/container.js';
import { Scheduler } from './jobs/scheduler.js';
import { jobsRouter } from './api/jobs-routes.js';
import { claimApiDomain, DomainService } from './domains/service.js';
import { createCertificates } from './certs/index.js';
import { tlsRouter } from './api/tls-routes.js';
import { AccessLog } from './proxy/access-log.js';
import { MetricsService } from './metrics/service.js';
import { appTotalsRouter, metricsRouter, prometheusRouter } from './api/metrics-routes.js';
import { sessionRouter, signInRouter } from './api/session-routes.js';
import { eventsRouter } from './api/events-routes.js';
import { dashboardRouter } from './api/dashboard.js';
import { autoscaleRouter } from './api/autoscale-routes.js';
import { Autoscaler } from './scale/autoscaler.js';

export interface RunningServer {
  url: string;
  port: number;
  state: State;
  /** The express app the server runs (tests enumerate its routes). */
  http: express.Express;
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
  // Private to Slipway's user, also when it already existed with a looser mode (older installs).
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  const secretKey = loadOrCreateKey(paths.secretKey);
  const state = openState(paths.stateDb, stateSealer(secretKey));
  ensureAdminToken(state, paths.adminToken);
  state.sessions.prune();

  const docker = createDocker(config);
  const containers = new Containers(docker);
  const networks = new Networks(docker);
  const cluster = new Cluster({
    config,
    settingsFile: paths.cluster,
    settings: loadClusterSettings(paths.cluster),
    managerDocker: config.clusterSocket ? createDocker({ dockerSocket: config.clusterSocket }) : docker,
    logger,
    activeReleases: () => state.apps.list().flatMap((a) => state.releases.current(a.id) ?? []),
    localApps: async () => [...new Set((await containers.listContainers({ all: true })).map((c) => c.app).filter((a) => state.apps.find(a)))],
    backendName,
    serveAgents: async (s) => {
      const app = agentApp({ secretMatches: (presented) => agentSecretMatches(s, presented), logs, metrics: (samples) => metrics.ingest(samples), logger });
      return (await listenAgentApi(app, s.addr, s.agentPort)).close;
    },
    // A node agent ships a job's lines: it sees the exit later than the server's own log stage would.
    shipped: (id) => logs.whenShipped(id, 120_000),
  });
  await cluster.beforeProxy();
  mkdirSync(paths.haproxy, { recursive: true, mode: 0o700 });
  const accessLog = await AccessLog.listen(config.haproxyLogPort, path.join(paths.haproxy, 'access-log-port'));

  // HTTPS: certificates pushed to HAProxy live; ACME HTTP-01 answered from its challenge map.
  const https = config.httpsPort !== 0;
  const tls = proxyTls(paths.haproxy, config.httpsPort, paths.tlsRuntime, (fn) => proxy.exclusive(fn), logger);
  const proxy = new Proxy({
    haproxyBin: config.haproxyBin,
    dir: paths.haproxy,
    httpPort: config.httpPort,
    cluster: cluster.proxyInput(),
    accessLogPort: accessLog.port,
    tls: https ? tls.listener : undefined,
    logger,
  });
  const { certs, acme, jobs: certJobs } = createCertificates({
    config,
    state,
    dir: paths.certs,
    secretKey,
    proxy: tls,
    appLog: (app, line) => void logs.append({ app, service: 'certs', stream: 'deploy', line }).catch(() => undefined),
    logger,
  });
  const apiDomain = claimApiDomain(state, https ? config.apiDomain : undefined);
  await certs.prepare();
  if (https) await tls.challenges.prepare(new Map());
  await proxy.start();
  await certs.started();
  const routes = withPortRoutes(appProxy(proxy, config.appsDomain, (app) => domains.customNames(app)), proxy, (app) => state.ports.forApp(app));
  const domains: DomainService = new DomainService({
    state,
    appsDomain: config.appsDomain,
    routes,
    listener: { added: (app, d) => acme.domainAdded(app, d), removed: (app) => certs.domainRemoved(app) },
  });
  const ports = dockerRolloutPorts({ docker, containers, networks, proxy: routes, config });
  const single = singleHostEngine({ ports, containers });
  // Chosen by configuration: `slipway cluster:init` switches deploys to the swarm.
  const engine = () => cluster.engine() ?? single;
  const appPorts = new AppPorts({
    state,
    routes: routes.ports,
    serving: async (app) => servingOf(state.releases.current(state.apps.get(app).id), await ports.list(app)),
    reserved: new Map([
      [config.httpPort, "Slipway's HTTP port for apps"],
      [config.port, "Slipway's API port"],
    ]),
  });
  const repos = new GitRepos(paths.repos, config.maxPushMb * 1024 * 1024);
  const progress = new DeployProgress(path.join(config.dataDir, 'deploys'), (id, e) =>
    logger.error('deploy output could not be stored (is the disk full?); it still streams live', { deployment: id, error: (e as Error).message }),
  );
  progress.removeStale((id) => state.deployments.has(id));
  const uploads = new Uploads(path.join(config.dataDir, 'uploads'));
  const gc = new RegistryGc({
    bin: config.registryBin,
    configFile: config.registryConfig ?? (existsSync(paths.registryConfig) ? paths.registryConfig : null),
    logger,
  });
  const ownsApp = (app: string) => state.apps.find(app) !== undefined;
  const logs = new LogService({
    docker,
    config,
    logger,
    ownsApp,
    retentionFor: (name) => {
      const a = state.apps.find(name);
      const limits = a ? logRetention(config, a) : { mb: config.appLogRetentionMb, days: config.logRetentionDays };
      return { maxBytes: limits.mb * 1024 * 1024, maxAgeDays: limits.days };
    },
    // Which files a container's log volumes hold comes from its stored release, not its labels.
    servicesOf: (app, version) => {
      const a = state.apps.find(app);
      return (a && state.releases.find(a.id, version)?.services) ?? null;
    },
  });
  await logs.start();
  const samples = new EventEmitter();
  samples.setMaxListeners(0);
  const metrics = new MetricsService({
    config,
    logger,
    onSampled: (ts) => samples.emit('sample', ts),
    accessLog,
    ownsApp,
    ports: {
      // What runs on a swarm (the manager's node too) is sampled by the node's agent.
      listContainers: async () => (await containers.listContainers()).filter((c) => !c.onSwarm),
      runtime: (id) => containers.runtime(id),
      statsOnce: (id) => containers.statsOnce(id),
      backendStats: () => proxy.backendStats(),
    },
  });
  metrics.start();
  await cluster.start(proxy, routes);
  const runs = new OneOffRuns({ containers, prepare: (r) => ports.prepare(r), shipped: (id) => logs.whenShipped(id, 60_000).then(() => undefined), ownsApp, warn: (m, f) => logger.warn(m, f) });
  await runs.adopt();

  const exits = new ContainerExits(docker, JOB_LABEL_FILTER);
  const localJobs = localJobEngine({ docker, containers, networks, exits, shipped: (id) => logs.whenShipped(id) });
  const runner = new JobRunner({
    state,
    engine: () => cluster.jobEngine() ?? localJobs,
    backoff: { baseMs: config.jobBackoffMs, maxMs: config.jobBackoffMaxMs },
    logger,
  });
  const scheduler = new Scheduler({ state, runner, logger });

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
  const retention: RetentionDeps = {
    state,
    docker,
    registry: config.registry,
    gc,
    removeOutput: (id) => progress.remove(id),
    keepReleases: config.keepReleases,
    logger,
  };
  const baseImages = baseImageLookup(config.registry);
  const pipeline = createPipeline({
    state,
    buildsDir: paths.builds,
    appUrl: (app) => appLinks(config, app).url,
    logLine: (app, service, line) => void logs.append({ app, service, stream: service, line }).catch(() => undefined),
    commitStatus,
    retain: (app, out) => pruneReleases(retention, app, out),
    released: (a, _version, d, out) => {
      runner.runOnDeploy(a, d.trigger, out);
      scheduler.refresh();
    },
    stages: {
      ...pipelineStages({
        config,
        docker,
        ports: () => engine().ports,
        engine: () => engine().name,
        mirrorsDir: paths.mirrors,
        secretKey,
        appConfig: (id) => state.apps.config(id),
        servingSha: (id) => state.releases.current(id)?.sha ?? null,
        checkBaseImages: (refs, say) =>
          checkBaseImages(refs, { records: readBaseImages(paths.baseImages), registryDigest: tagDigest, localDigests: async (ref) => (await inspectImage(docker, ref))?.repoDigests ?? null }, say),
        // No registry garbage collection runs while a release is pushed.
        duringPush: (push) => gc.duringPush(push),
        // A release going live may turn the app's HTTPS redirect on or off (SLIPWAY_HTTPS_REDIRECT).
        baseImages,
        exposed: config.exposePorts ? (app, exposed, out) => appPorts.syncExposed(app, exposed, out) : undefined,
        onLive: () => void certs.sync().catch((e: Error) => logger.warn('certificate sync failed', { error: e.message })),
      }),
      resize: (release, service, replicas, out) => engine().resize(release, service, replicas, out),
      carryScale: (app, services, previous) => autoscaler.replicasToCarry(app.id, services, previous),
    },
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
  await queue.verifyRedis();

  const reconciled = await reconcile(state, engine().ports, logger);
  for (const d of reconciled.interrupted) {
    progress.finish(d.id, { status: 'interrupted', error: INTERRUPTED });
    // A commit left "pending" by a deploy that died with Slipway would stay pending on the host.
    if (d.trigger === 'webhook' && d.sha)
      void commitStatus(d, state.apps.byId(d.appId), d.sha, { state: 'failure', description: INTERRUPTED }).catch(() => undefined);
  }
  uploads.removeFinished((id) => state.deployments.has(id) && outcomeOf(state.deployments.get(id)) === null);
  await runner.reconcile();
  scheduler.start();
  const autoscaler = new Autoscaler({
    state,
    averages: (app, ids, windowMs, now) => metrics.averages(app, ids, windowMs, now),
    list: (app) => engine().replicas(app),
    enqueue: (d) => queue.enqueue(d),
    timing: {
      intervalMs: config.autoscaleInterval,
      windowMs: config.autoscaleWindow,
      samples: config.autoscaleSamples,
      cooldownMs: config.autoscaleCooldown,
      stabilizationMs: config.autoscaleStabilization,
    },
    logger,
  });
  if (options.runDeploys !== false) queue.start();
  await queue.resumeQueued();
  if (options.runDeploys !== false) autoscaler.start();

  let apiUrl = '';
  // The dashboard's own origin as users reach it (SLIPWAY_PUBLIC_URL, the HTTPS API domain, or
  // the listen address): a session's state-changing requests must come from there.
  const trustedOrigins = [new URL(publicApiUrl(config)).origin];
  const app = createHttpApp({
    tokens: state.tokens,
    sessions: state.sessions,
    trustedOrigins,
    signIn: signInRouter({ state, trustedOrigins }),
    dashboard: dashboardRouter(config.uiDir),
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
      '/metrics': prometheusRouter({
        state,
        open: config.metricsPublic,
        render: () => {
          const d = state.deployments.summary();
          return metrics.prometheus({ deploys: d.deploys, deployDurations: d.durations, queued: d.queued, running: d.running, logLinesShipped: logs.linesShipped, extra: autoscaler.families() });
        },
      }),
      '/webhooks': webhookRouter({
        findApp: (name) => state.apps.find(name),
        ...webhookIntake(state, (d) => queue.enqueue(d)),
        logger,
      }),
    },
    api: {
      '/images': imagesRouter({ docker, registry: config.registry }),
      '/session': sessionRouter({ state }),
      '/events': eventsRouter({
        changes: (l) => state.changes.subscribe(l),
        samples: (l) => {
          samples.on('sample', l);
          return () => samples.off('sample', l);
        },
      }),
      '/metrics': appTotalsRouter({ state, metrics }),
      '/apps': appsRouter({
        config,
        state,
        running: (a) => containers.listContainers(a ? { app: a } : {}),
        destroyApp: async (a) => {
          // What the engine runs elsewhere (a swarm's services and overlay), then this host's part.
          await engine().destroyApp(a.name);
          await destroyApp(
            {
              state,
              docker,
              containers,
              networks,
              removeRoute: async (name) => {
                await routes.removeApp(name);
                await certs.appRemoved(name);
              },
              networkName: appNetworkName,
              removeRepo: (name) => repos.remove(name),
              mirrorsDir: paths.mirrors,
              forgetLogs: (name, ids, volumes) => logs.forgetApp(name, ids, volumes),
              removeOutput: (id) => progress.remove(id),
              registry: config.registry,
              gc,
              logger,
            },
            a,
          );
        },
        diskUse: (a) =>
          appDiskUse({ docker, state, logStoreBytes: (name) => logs.appBytes(name), outputFile: (id) => progress.file(id) }, a).catch((e: unknown) => {
            logger.warn('disk use unavailable', { app: a.name, error: (e as Error).message });
            return null;
          }),
      }),
      '/cluster': clusterRouter({ cluster, state, enqueue: (d) => queue.enqueue(d), follow: (id, signal) => progress.follow(id, signal) }),
      '/apps/:app': (() => {
        const r = express.Router({ mergeParams: true });
        r.use(deployRouter({ state, progress, uploads, maxUploadBytes: config.maxPushMb * 1024 * 1024, enqueue: (d) => queue.enqueue(d) }));
        r.use(repoRouter({ state, config, secretKey, ps: (app) => engine().ps(app) }));
        r.use(runRouter({ state, runs }));
        r.use(portsRouter({ state, ports: appPorts }));
        r.use(jobsRouter({ state, runner, scheduler }));
        r.use('/logs', logsRouter(logs, (a, run) => runner.containerGlobs(state.apps.get(a), Number(run))));
        r.use(tlsRouter({ domains, certs, acme }));
        r.use('/metrics', metricsRouter({ state, metrics }));
        r.use('/autoscale', autoscaleRouter({ state, autoscaler }));
        return r;
      })(),
    },
    health: () => ({ version: '0.1.0' }),
    unauthenticatedTimeoutSeconds: config.unauthenticatedTimeoutSeconds,
  });

  // Pushes wait for build + deploy: no overall request timeout, but an unauthenticated request
  // must arrive in time (src/api/deadline.ts), headers included (checked every second).
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, app);
  server.requestTimeout = 0;
  server.headersTimeout = config.unauthenticatedTimeoutSeconds * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  apiUrl = url;
  logger.info('slipway listening', { url, dataDir: config.dataDir });
  await routeApi(proxy, https ? config.apiDomain : undefined, { host: config.host, port }, apiDomain.removed);
  if (https && config.apiDomain) await acme.domainAdded(null, config.apiDomain);
  if (options.runDeploys !== false) certJobs.start();
  const certScan = acme.startScanning();

  return {
    url,
    port,
    state,
    http: app,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Never let one part hold shutdown hostage; what is left is reconciled on the next start.
      scheduler.stop();
      await within(15_000, runner.close(), logger, 'job runs');
      exits.close();
      await within(5000, autoscaler.stop(), logger, 'autoscaler');
      await within(5000, queue.close(), logger, 'deploy queue');
      await within(5000, certScan.stop(), logger, 'certificate scan');
      await within(5000, certJobs.close(), logger, 'certificate jobs');
      await within(5000, logs.stop(), logger, 'log shippers');
      await within(5000, metrics.stop(), logger, 'metrics collector');
      await within(5000, cluster.stop(), logger, 'swarm follower');
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
