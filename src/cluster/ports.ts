// The rollout's ports on a swarm: each web color (and each release's workers) is a Swarm
// service whose tasks spread over the nodes; a "container" of the rollout is one task, found by
// its slot. Health is Slipway's own, probed through HAProxy's relay into the overlay; when a
// task's node is lost while it starts, the wait follows the task Swarm puts in its slot.
import type Dockerode from 'dockerode';
import { LABELS, type Color, type Release, type ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';
import type { Containers } from '../docker/containers.js';
import type { Swarm, TaskInfo } from '../docker/swarm.js';
import { oneOffCreateOptions, type ReleaseRunInfo } from '../deploy/container-spec.js';
import { waitHealthy, type ContainerState, type HttpGet } from '../deploy/health.js';
import { replicasOf, type RolloutPorts, type RunningContainer } from '../deploy/rollout.js';
import { pullImage } from '../registry/push.js';
import { overlayName, swarmServiceName, swarmServiceSpec } from './service-spec.js';
import { taskState, movedBySwarm } from './task-state.js';

export interface SwarmPortsDeps {
  swarm: Swarm;
  /** The manager's engine: one-offs run there, on the app's overlay network. */
  managerDocker: Dockerode;
  managerContainers: Containers;
  proxy: RolloutPorts['proxy'];
  /** Joins the edge container to an app's overlay, so HAProxy reaches its tasks. */
  attachEdge(network: string): Promise<void>;
  /** The release's image as the nodes pull it (the cluster registry's address, same digest). */
  clusterImage(release: Release): string;
  probe: HttpGet;
  drainSeconds: number;
  healthTimeoutSeconds: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** How often a task's slot is looked at while it is placed, pulled and started. */
const POLL_MS = 250;
/** A starting task that Swarm moves (its node lost) is followed this many times. */
const MAX_MOVES = 5;

const runInfo = (r: Release, image: string): ReleaseRunInfo => ({ version: r.version, imageRef: image, config: r.config });
/** `slipway-demo-web-blue.2` → `slipway-demo-web-blue`. */
const serviceOf = (c: RunningContainer) => c.name.replace(/\.\d+$/, '');

export function swarmRolloutPorts(deps: SwarmPortsDeps): RolloutPorts {
  const { swarm } = deps;
  /** One Swarm service per (service, color or release) of a rollout, made on its first replica. */
  const made = new Map<string, Promise<void>>();

  /** The newest task Swarm wants running in `slot`, once it has an address on the overlay. */
  async function slotTask(service: string, network: string, slot: number, deadline: number, after?: string): Promise<TaskInfo> {
    for (;;) {
      const tasks = (await swarm.tasks({ service: [service] })).filter((t) => t.slot === slot).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
      const wanted = tasks.find((t) => t.desiredState === 'running' && t.id !== after);
      if (wanted?.addresses[network]) return wanted;
      const failed = tasks.find((t) => t.id !== after && ['failed', 'rejected'].includes(t.state));
      if (!wanted && failed) throw new UserError(`${service}.${slot} could not start: ${failed.err || failed.message}`);
      if (Date.now() > deadline)
        throw new UserError(`${service}.${slot} was not placed on a node within ${deps.healthTimeoutSeconds}s${wanted ? ` (${wanted.state}: ${wanted.message})` : ' (no node can take it: see slipway nodes, and the placement constraints)'}`);
      await sleep(POLL_MS);
    }
  }

  return {
    drainSeconds: deps.drainSeconds,
    sleep,
    now: () => Date.now(),
    proxy: deps.proxy,

    async prepare(release, _signal, progress) {
      const privileged = release.services.filter((s) => s.hostAccess);
      if (privileged.length)
        throw new UserError(`${privileged.map((s) => s.name).join(', ')}: privileged, cap_add, pid: host and network_mode: host cannot run on a swarm`);
      await swarm.ensureOverlay(overlayName(release.app), { [LABELS.app]: release.app });
      await deps.attachEdge(overlayName(release.app));
      for (const line of volumeWarnings(release)) progress?.(` !     ${line}`);
      for (const s of release.services.filter((s) => s.cpuShares !== undefined))
        progress?.(` !     ${s.name}: cpu_shares has no Swarm equivalent and is not applied (use deploy.resources)`);
    },

    async start(release, service, color, index) {
      const name = swarmServiceName(release.app, service.name, color ?? release.version);
      const network = overlayName(release.app);
      if (!made.has(name)) {
        const spec = swarmServiceSpec({ app: release.app, release: runInfo(release, deps.clusterImage(release)), service, color, replicas: replicasOf(release, service) });
        made.set(name, swarm.createService(spec).then(() => undefined));
      }
      await made.get(name);
      const task = await slotTask(name, network, index, Date.now() + deps.healthTimeoutSeconds * 1000);
      return { id: task.id, name: `${name}.${index}`, ip: task.addresses[network]!, service: service.name, release: release.version, color };
    },

    async waitHealthy(c, service, progress) {
      const network = overlayName(appOf(c));
      for (let moves = 0; ; moves++) {
        try {
          await waitHealthy({ id: c.id, ip: c.ip, port: service.port, name: c.name }, service.health, healthDeps(service), {
            timeoutSeconds: deps.healthTimeoutSeconds,
            progress,
          });
          return;
        } catch (e) {
          const task = await swarm.task(c.id).catch(() => null);
          if (moves >= MAX_MOVES || !task || !movedBySwarm(task)) throw e;
          progress(`${c.name}: Swarm moved it (${task.state}, node lost or drained); waiting for its replacement`);
          const next = await slotTask(serviceOf(c), network, Number(c.name.split('.').pop()), Date.now() + deps.healthTimeoutSeconds * 1000, c.id);
          // The rollout switches to the addresses of the objects it was given: follow in place.
          c.id = next.id;
          c.ip = next.addresses[network]!;
        }
      }
    },

    async runOneOff(release, kind, command, progress) {
      const image = deps.clusterImage(release);
      await pullImage(deps.managerDocker, image, progress);
      const spec = oneOffCreateOptions({ app: release.app, release: runInfo(release, image), command, kind });
      spec.HostConfig.NetworkMode = overlayName(release.app);
      spec.Labels[LABELS.engine] = 'swarm';
      return (await deps.managerContainers.runOneOff(spec, progress)).exitCode;
    },

    async list(app) {
      const services = await swarm.services([`${LABELS.app}=${app}`]);
      const tasks = await swarm.tasks({ label: [`${LABELS.app}=${app}`], 'desired-state': ['running'] });
      const out: RunningContainer[] = [];
      for (const s of services) {
        const service = s.labels[LABELS.service];
        if (!service) continue;
        const label = s.labels[LABELS.color];
        const color: Color | null = label === 'blue' || label === 'green' ? label : null;
        const base = { service, release: Number(s.labels[LABELS.release]), color };
        const mine = tasks.filter((t) => t.serviceId === s.id);
        for (const t of mine) out.push({ ...base, id: t.id, name: `${s.name}.${t.slot}`, ip: t.addresses[overlayName(app)] ?? '' });
        // A service whose tasks are all gone is still there to be removed.
        if (!mine.length) out.push({ ...base, id: s.id, name: `${s.name}.0`, ip: '' });
      }
      return out;
    },

    async remove(c) {
      // A task cannot be removed alone: its whole service goes (its other replicas are removed
      // in the same breath by the rollout; the grace period is the service's).
      await swarm.removeService(serviceOf(c));
    },
  };

  function healthDeps(service: ServiceSpec) {
    return {
      inspectHealth: async (id: string): Promise<ContainerState> => {
        const t = await swarm.task(id);
        if (!t) throw new UserError(`task ${id.slice(0, 12)} is gone (its service was removed while starting)`);
        return taskState(t, service.health.kind === 'docker');
      },
      logTail: async (id: string, lines: number) => {
        const t = await swarm.task(id);
        const logs = await swarm.taskLogs(id, lines).catch(() => [] as string[]);
        return t?.err && !logs.length ? [`(Swarm: ${t.err})`] : logs;
      },
      httpGet: deps.probe,
    };
  }
}

function appOf(c: RunningContainer): string {
  // `slipway_APP_SERVICE_SLOT`: app names have no "_", so the app ends at the first one.
  return serviceOf(c).slice('slipway_'.length).split('_')[0]!;
}

/** Named volumes live on each node: say so when an app's replicas would not share one. */
export function volumeWarnings(release: Release): string[] {
  const users = new Map<string, string[]>();
  for (const s of release.services) for (const v of s.volumes.filter((v) => !v.bind)) users.set(v.source, [...(users.get(v.source) ?? []), s.name]);
  const out: string[] = [];
  for (const [volume, services] of users) {
    const replicas = services.reduce((n, name) => n + replicasOf(release, release.services.find((s) => s.name === name)!), 0);
    if (replicas > 1)
      out.push(
        `volume ${volume} (${services.join(', ')}): named volumes are local to each node, so replicas on different nodes do not share it; pin them with deploy.placement.constraints (e.g. node.hostname==NODE) or use a shared store`,
      );
  }
  return out;
}
