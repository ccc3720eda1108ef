// Batch jobs on a swarm: each attempt is a container on the manager's engine (as one-offs are),
// attached to the app's attachable overlay, so a task reaches the app's services by name on
// every node. Labelled `slipway.engine=swarm`, so the manager's node agent ships its output and
// the server's own log stage leaves it alone (each line stored once). A job's dependency on a
// long-running service is checked against that service's Swarm tasks.
import type Dockerode from 'dockerode';
import { LABELS, type Release, type ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';
import type { Containers } from '../docker/containers.js';
import type { ContainerExits } from '../docker/exits.js';
import type { Networks } from '../docker/networks.js';
import type { Swarm, TaskInfo } from '../docker/swarm.js';
import { volumeName } from '../deploy/container-spec.js';
import type { JobEngine } from '../jobs/ports.js';
import { pullImage } from '../registry/push.js';
import { overlayName } from './service-spec.js';

export interface SwarmJobDeps {
  swarm: Swarm;
  managerDocker: Dockerode;
  managerContainers: Containers;
  managerNetworks: Networks;
  /** `die` events of job containers on the manager's engine. */
  exits: ContainerExits;
  /** The release's image as the nodes pull it (the registry door's address, same digest). */
  clusterImage(release: Release): string;
  /** Resolves once the agent has shipped the container's output to the store. */
  shipped(id: string): Promise<unknown>;
}

export function swarmJobEngine(deps: SwarmJobDeps): JobEngine {
  const { swarm } = deps;
  return {
    containers: deps.managerContainers,
    exits: deps.exits,
    shipped: deps.shipped,
    labels: { [LABELS.engine]: 'swarm' },
    imageRef: (release) => deps.clusterImage(release),
    async prepare(release) {
      const jobs = release.services.filter((s) => s.role === 'job');
      const privileged = jobs.filter((s) => s.hostAccess);
      if (privileged.length)
        throw new UserError(`${privileged.map((s) => s.name).join(', ')}: privileged, cap_add, pid: host and network_mode: host cannot run on a swarm`);
      const volumes = new Set(jobs.flatMap((s) => s.volumes.filter((v) => !v.bind).map((v) => volumeName(release.app, v.source))));
      const images = new Set([deps.clusterImage(release), ...jobs.flatMap((s) => s.image ?? [])]);
      await Promise.all([
        swarm.ensureOverlay(overlayName(release.app), { [LABELS.app]: release.app }),
        ...[...volumes].map((v) => deps.managerNetworks.ensureVolume(v, { [LABELS.app]: release.app })),
        ...[...images].map((image) => pullImage(deps.managerDocker, image)),
      ]);
    },
    async serviceReady(release, service, condition) {
      const services = (await swarm.services([`${LABELS.app}=${release.app}`, `${LABELS.service}=${service}`])).filter((s) => ['web', 'worker'].includes(s.labels[LABELS.kind] ?? ''));
      const tasks = services.length ? await swarm.tasks({ service: services.map((s) => s.id), 'desired-state': ['running'] }) : [];
      const spec = release.services.find((s) => s.name === service);
      return tasksReady(tasks, spec?.health.kind === 'docker', condition);
    },
  };
}

/**
 * Whether a long-running service's tasks meet a job's `depends_on` condition (null), else why
 * not; as on one host: started = a task runs, healthy = a running task passed its Docker
 * healthcheck (Swarm reports such a task `starting` until the check passes). Pure.
 */
export function tasksReady(tasks: TaskInfo[], hasHealthcheck: boolean, condition: ServiceSpec['dependsOn'][number]['condition']): string | null {
  const live = tasks.filter((t) => t.desiredState === 'running');
  const up = live.filter((t) => t.state === 'running' || t.state === 'starting');
  if (!up.length) return live.length ? `its tasks are not running (${live.map((t) => t.state).join(', ')})` : 'it has no running task';
  if (condition !== 'service_healthy') return null;
  if (!hasHealthcheck) return 'it is running but has no healthcheck to be healthy by (add a compose healthcheck, or depend on it with service_started)';
  return up.some((t) => t.state === 'running') ? null : 'it is running but not healthy yet';
}
