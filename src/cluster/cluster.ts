// Swarm mode's runtime: after `slipway cluster:init` (DATA/cluster.json), deploys go to the
// swarm through the same rollout ports, HAProxy reaches the tasks through the edge's network
// namespace and follows them when Swarm moves them, and nodes pull from the registry door.
import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Config } from '../config.js';
import { LABELS, type Progress, type Release } from '../domain.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { Containers } from '../docker/containers.js';
import { ContainerExits } from '../docker/exits.js';
import { Networks } from '../docker/networks.js';
import { Swarm } from '../docker/swarm.js';
import type { Engine, PsEntry, Replica } from '../deploy/engine.js';
import { httpGetVia } from '../deploy/health.js';
import type { ResizePorts } from '../deploy/resize.js';
import type { RolloutPorts } from '../deploy/rollout.js';
import { JOB_LABEL_FILTER } from '../jobs/container.js';
import type { JobEngine } from '../jobs/ports.js';
import type { ClusterProxyInput } from '../proxy/haproxy-config.js';
import { probeConnector } from '../proxy/probe.js';
import { tagDigest } from '../registry/api.js';
import { pullImage } from '../registry/push.js';
import { AGENT_LABEL, agentSecretName, agentServiceSpec } from './agent-service.js';
import { Edge } from './edge.js';
import { swarmJobEngine } from './jobs.js';
import { followTasks } from './follow.js';
import { swarmRolloutPorts } from './ports.js';
import { swarmResize } from './resize.js';
import { overlayName } from './service-spec.js';
import { clusterRef, clusterRegistry, newAgentSecret, saveClusterSettings, type ClusterSettings } from './settings.js';

/** What of the proxy the cluster drives (the HAProxy adapter and its app routes). */
export interface ClusterProxy {
  setCluster(c: Omit<ClusterProxyInput, 'probeSocket'> | null): Promise<unknown>;
  reload(): Promise<void>;
  followColor(backend: string, color: 'blue' | 'green', servers: { addr: string; port: number }[]): Promise<boolean>;
  paths: { probeSocket: string };
}

export interface ClusterDeps {
  config: Config;
  settingsFile: string;
  settings: ClusterSettings | null;
  /** The manager's engine (Config.clusterSocket, else this host's). */
  managerDocker: Dockerode;
  logger: Logger;
  /** Apps Slipway has, with their active release (the follower keeps HAProxy on their tasks). */
  activeReleases(): Release[];
  /** Apps with containers on this host's engine (cluster:init refuses to strand them). */
  localApps(): Promise<string[]>;
  backendName(app: string, service: string): string;
  /** Opens the agents' API on the cluster address; resolves to its close function. */
  serveAgents(settings: ClusterSettings): Promise<() => Promise<void>>;
  /** Resolves once a node agent has shipped the container's output (a job's, before it is removed). */
  shipped(id: string): Promise<unknown>;
}

export class Cluster {
  readonly swarm: Swarm;
  readonly managerContainers: Containers;
  /** `die` events of job containers on the manager's engine. */
  private readonly jobExits: ContainerExits;
  private settingsNow: ClusterSettings | null;
  private edgeNow: Edge | null = null;
  private proxy: ClusterProxy | null = null;
  private routes: (RolloutPorts['proxy'] & ResizePorts['proxy']) | null = null;
  /** Apps a resize is changing: the follower leaves their HAProxy servers to it meanwhile. */
  private readonly resizing = new Map<string, number>();
  private abort = new AbortController();
  private follower: Promise<void> | null = null;
  private closeAgentApi: (() => Promise<void>) | null = null;

  constructor(private readonly deps: ClusterDeps) {
    this.swarm = new Swarm(deps.managerDocker);
    this.managerContainers = new Containers(deps.managerDocker);
    this.jobExits = new ContainerExits(deps.managerDocker, JOB_LABEL_FILTER);
    this.settingsNow = deps.settings;
    if (deps.settings) this.edgeNow = this.edgeFor(deps.settings);
  }

  get settings(): ClusterSettings | null {
    return this.settingsNow;
  }

  /** The proxy's swarm-mode input, known before HAProxy starts (so a restart needs no reload). */
  proxyInput(): Omit<ClusterProxyInput, 'probeSocket'> | undefined {
    const s = this.settingsNow;
    return s ? { namespace: this.edgeFor(s).namespace, registry: this.registryDoor(s) } : undefined;
  }

  /** Before HAProxy starts: the edge runs and its namespace is linked (HAProxy opens it). */
  async beforeProxy(): Promise<void> {
    await this.ensureEdge();
  }

  /** The edge runs, is linked, and (if it was made anew) joined to every app's overlay again. */
  private async ensureEdge(): Promise<boolean> {
    const edge = this.edgeNow;
    if (!edge || !(await edge.ensure()).relinked) return false;
    for (const app of new Set(this.deps.activeReleases().map((r) => r.app))) await edge.attach(overlayName(app)).catch(() => undefined);
    return true;
  }

  /** Once HAProxy runs: swarm deploys can start, the follower keeps HAProxy on moved tasks, the agents ship. */
  async start(proxy: ClusterProxy, routes: RolloutPorts['proxy'] & ResizePorts['proxy']): Promise<void> {
    this.proxy = proxy;
    this.routes = routes;
    if (!this.settingsNow) return;
    this.closeAgentApi = await this.deps.serveAgents(this.settingsNow);
    this.startFollowing();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.follower;
    await this.closeAgentApi?.();
    this.jobExits.close();
  }

  /** The swarm engine, or null on one host. */
  engine(): Engine | null {
    if (!this.settingsNow || !this.proxy || !this.routes) return null;
    const s = this.settingsNow;
    const routes = this.routes;
    const edge = this.edgeFor(s);
    const ports = swarmRolloutPorts({
      swarm: this.swarm,
      managerDocker: this.deps.managerDocker,
      managerContainers: this.managerContainers,
      proxy: routes,
      attachEdge: (network) => edge.attach(network),
      clusterImage: (r) => clusterRef(r.image.ref, this.deps.config.registry, clusterRegistry(s)),
      probe: httpGetVia(probeConnector(this.proxy.paths.probeSocket)),
      drainSeconds: this.deps.config.drainSeconds,
      healthTimeoutSeconds: this.deps.config.healthTimeoutSeconds,
    });
    return {
      name: 'swarm',
      ports,
      resize: (release, service, replicas, progress) =>
        this.holdingFollower(release.app, () =>
          swarmResize({ swarm: this.swarm, ports, proxy: routes, healthTimeoutSeconds: this.deps.config.healthTimeoutSeconds }, release, service, replicas, progress),
        ),
      replicas: (app) => this.replicas(app),
      ps: (app) => this.ps(app),
      destroyApp: async (app) => {
        for (const c of await ports.list(app)) await ports.remove(c, 0);
        // Job containers the remove policy kept, and one-offs, on the manager's engine.
        for (const c of await this.managerContainers.listContainers({ app, all: true })) await this.managerContainers.removeContainer(c.id).catch(() => undefined);
        await this.swarm.removeNetwork(overlayName(app)).catch(() => undefined);
      },
    };
  }

  /** Where job runs go on the swarm (containers on the manager, on the overlay), or null on one host. */
  jobEngine(): JobEngine | null {
    const s = this.settingsNow;
    if (!s) return null;
    return swarmJobEngine({
      swarm: this.swarm,
      managerDocker: this.deps.managerDocker,
      managerContainers: this.managerContainers,
      managerNetworks: new Networks(this.deps.managerDocker),
      exits: this.jobExits,
      clusterImage: (r) => clusterRef(r.image.ref, this.deps.config.registry, clusterRegistry(s)),
      shipped: this.deps.shipped,
    });
  }

  /**
   * `slipway cluster:init`: makes the manager's engine a swarm manager (unless it is one), opens
   * the registry door on the cluster address, starts the edge, and switches deploys to the swarm.
   */
  async init(opts: { advertiseAddr?: string; addr?: string }, progress: Progress): Promise<ClusterSettings> {
    if (this.settingsNow) {
      progress(`-----> Already in swarm mode (since ${this.settingsNow.initializedAt})`);
      return this.settingsNow;
    }
    const proxy = this.requireProxy();
    const stranded = await this.deps.localApps();
    if (stranded.length)
      throw new UserError(
        `these apps run on this host's engine: ${stranded.join(', ')}. cluster:init moves every deploy to the swarm; ` +
          'destroy them (slipway apps:destroy) or keep one host, then run cluster:init again',
        409,
      );
    let st = await this.swarm.state();
    if (st.localState === 'inactive') {
      progress(`-----> Making this engine a swarm manager${opts.advertiseAddr ? ` (advertising ${opts.advertiseAddr})` : ''}`);
      await this.swarm.init(opts.advertiseAddr);
      st = await this.swarm.state();
    } else {
      progress(`-----> This engine is already in a swarm (node ${st.nodeId.slice(0, 12)})`);
    }
    if (!st.manager) throw new UserError('the engine Slipway drives is a swarm worker: point SLIPWAY_CLUSTER_SOCKET at a manager', 409);
    const addr = opts.addr ?? this.deps.config.clusterAddr ?? st.nodeAddr;
    const { config } = this.deps;
    const base = { engine: 'swarm' as const, instance: randomBytes(4).toString('hex'), addr, registryPort: config.clusterRegistryPort, agentPort: config.clusterAgentPort };

    progress(`-----> Serving the registry to the nodes at ${clusterRegistry(base)}`);
    await proxy.setCluster({ registry: this.registryDoor(base) });
    const image = await this.resolveImage(clusterRegistry(base));
    const secret = newAgentSecret();
    const settings: ClusterSettings = {
      ...base,
      image,
      managerAddr: `${st.nodeAddr}:2377`,
      agentSecretHash: secret.hash,
      initializedAt: new Date().toISOString(),
    };
    const edge = this.edgeFor(settings);
    progress(`-----> Starting the edge ${edge.namespace} (HAProxy reaches the tasks through it)`);
    await edge.ensure();
    await proxy.setCluster({ namespace: edge.namespace, registry: this.registryDoor(settings) });
    progress(`-----> Starting an agent on every node (logs reach Slipway at ${addr}:${settings.agentPort})`);
    this.closeAgentApi = await this.deps.serveAgents(settings);
    const secretId = await this.swarm.ensureSecret(agentSecretName(settings), secret.secret, { [AGENT_LABEL]: settings.instance });
    await this.swarm.createService(agentServiceSpec(settings, secretId, this.deps.config.metricsInterval));
    await saveClusterSettings(this.deps.settingsFile, settings);
    this.settingsNow = settings;
    this.edgeNow = edge;
    this.startFollowing();
    progress('-----> Swarm mode on: deploys now run as Swarm services (slipway nodes:add prints how to add a machine)');
    return settings;
  }

  async ps(app: string): Promise<PsEntry[]> {
    const services = await this.swarm.services([`${LABELS.app}=${app}`]);
    const tasks = await this.swarm.tasks({ label: [`${LABELS.app}=${app}`], 'desired-state': ['running'] });
    const nodes = new Map((await this.swarm.nodes()).map((n) => [n.id, n.hostname]));
    return tasks.flatMap((t) => {
      const s = services.find((x) => x.id === t.serviceId);
      if (!s) return [];
      const color = s.labels[LABELS.color];
      return [
        {
          service: s.labels[LABELS.service] ?? null,
          name: `${s.name}.${t.slot}`,
          kind: s.labels[LABELS.kind] ?? '',
          color: color === 'blue' || color === 'green' ? color : null,
          release: Number(s.labels[LABELS.release]),
          state: t.state,
          health: null,
          ip: t.addresses[overlayName(app)] ?? null,
          node: nodes.get(t.nodeId) ?? t.nodeId,
        },
      ];
    });
  }

  /** The app's running tasks, by their containers' ids (the metrics' key, from the agents). */
  async replicas(app: string): Promise<Replica[]> {
    const services = await this.swarm.services([`${LABELS.app}=${app}`]);
    const tasks = await this.swarm.tasks({ label: [`${LABELS.app}=${app}`], 'desired-state': ['running'] });
    return tasks.flatMap((t) => {
      const s = services.find((x) => x.id === t.serviceId);
      if (!s || !t.containerId) return [];
      const color = s.labels[LABELS.color];
      const createdAt = Date.parse(t.createdAt ?? t.updatedAt);
      return [{ id: t.containerId, service: s.labels[LABELS.service] ?? null, release: Number(s.labels[LABELS.release]), color: color === 'blue' || color === 'green' ? color : null, state: t.state, createdAt }];
    });
  }

  private async holdingFollower<T>(app: string, fn: () => Promise<T>): Promise<T> {
    this.resizing.set(app, (this.resizing.get(app) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const n = (this.resizing.get(app) ?? 1) - 1;
      if (n) this.resizing.set(app, n);
      else this.resizing.delete(app);
    }
  }

  requireSettings(): ClusterSettings {
    if (!this.settingsNow) throw new UserError('Slipway runs on one host: run `slipway cluster:init` first', 409);
    return this.settingsNow;
  }

  private startFollowing(): void {
    const proxy = this.requireProxy();
    this.abort = new AbortController();
    this.follower = followTasks(
      {
        swarm: this.swarm,
        activeReleases: () =>
          this.deps.activeReleases().filter((r) => !this.resizing.has(r.app)).map((r) => ({
            app: r.app,
            version: r.version,
            web: r.services.filter((s) => s.role === 'web').map((s) => ({ service: s.name, port: s.port ?? 5000 })),
          })),
        followColor: (app, service, color, servers) => proxy.followColor(this.deps.backendName(app, service), color, servers),
        checkEdge: async () => {
          if (await this.ensureEdge()) {
            this.deps.logger.warn('the edge container has a new network namespace; reloading HAProxy');
            await proxy.reload();
          }
        },
        logger: this.deps.logger,
      },
      this.abort.signal,
    );
  }

  /** Slipway's image (Config.agentImage, a tag in its registry) by digest, as the nodes pull it. */
  private async resolveImage(cluster: string): Promise<string> {
    const { registry, agentImage } = this.deps.config;
    const m = new RegExp(`^${registry.replace(/[.]/g, '\\.')}/([a-z0-9._/-]+):([\\w.-]+)$`).exec(agentImage);
    if (!m) throw new UserError(`SLIPWAY_AGENT_IMAGE must be Slipway's image in its registry, as ${registry}/slipway:TAG (got ${agentImage})`);
    const digest = await tagDigest(registry, m[1]!, m[2]!);
    if (!digest)
      throw new UserError(`${agentImage} is not in the registry: build and push Slipway's image first (docker build -t ${agentImage} . && docker push ${agentImage})`, 409);
    return `${cluster}/${m[1]}@${digest}`;
  }

  private registryDoor(s: Pick<ClusterSettings, 'addr' | 'registryPort'>) {
    return { bind: s.addr, port: s.registryPort, target: this.deps.config.registry };
  }

  private edgeFor(s: ClusterSettings): Edge {
    return new Edge({
      containers: this.managerContainers,
      swarm: this.swarm,
      pull: (image) => pullImage(this.deps.managerDocker, image),
      name: `slipway-edge-${s.instance}`,
      image: s.image,
    });
  }

  private requireProxy(): ClusterProxy {
    if (!this.proxy) throw new Error('the cluster is not started');
    return this.proxy;
  }
}
