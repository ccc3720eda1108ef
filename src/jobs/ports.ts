// Adapts the Docker adapters and the log store to a run's TaskPorts: containers of one release,
// for one run; an exit is noticed from the `die` event or the wait API, whichever says first
// (exit.ts); an exited container is removed only once its output is in the log store.
import type Dockerode from 'dockerode';
import type { Release } from '../domain.js';
import type { Containers } from '../docker/containers.js';
import type { ContainerExits } from '../docker/exits.js';
import type { Networks } from '../docker/networks.js';
import { appNetworkName, volumeName } from '../deploy/container-spec.js';
import { pullImage } from '../registry/push.js';
import { jobContainerOptions } from './container.js';
import { exitCode } from './exit.js';
import type { TaskPorts } from './run-graph.js';

export interface JobPortsDeps {
  docker: Dockerode;
  containers: Containers;
  networks: Networks;
  /** `die` events of job containers (the early exit notice). */
  exits: ContainerExits;
  /** Resolves once the container's output is stored (LogService.whenShipped). */
  shipped(id: string): Promise<unknown>;
}

/** Network, volumes and image a release's jobs need (a rollback or a fresh host may lack them). */
export async function prepareRelease(deps: JobPortsDeps, release: Release): Promise<void> {
  // Independent look-ups, each a round trip to a busy engine: at once, not one after another.
  const volumes = new Set(release.services.flatMap((s) => s.volumes.filter((v) => !v.bind).map((v) => volumeName(release.app, v.source))));
  await Promise.all([
    deps.networks.ensureNetwork(appNetworkName(release.app), { 'slipway.app': release.app }),
    ...[...volumes].map((v) => deps.networks.ensureVolume(v, { 'slipway.app': release.app })),
    pullImage(deps.docker, release.image),
  ]);
}

export function dockerTaskPorts(deps: JobPortsDeps, release: Release, runId: number): TaskPorts {
  const { containers, exits } = deps;
  const info = { version: release.version, imageRef: release.image.ref, config: release.config };
  const names = new Map<string, string>();
  // Each container's `die`, watched from its creation so it cannot pass unseen.
  const dies = new Map<string, Promise<number>>();
  const forget = (id: string) => {
    dies.delete(id);
    exits.forget(id);
  };
  return {
    async create(task, index, attempt) {
      const spec = jobContainerOptions({ app: release.app, release: info, task, runId, index, instances: release.scale[task.name] ?? task.replicas, attempt });
      const id = await containers.createContainer(spec);
      names.set(id, spec.name);
      dies.set(id, exits.next(id));
      return { id, name: spec.name };
    },
    async start(id) {
      await exits.ready();
      await containers.startContainer(id, names.get(id)).catch((e: unknown) => {
        forget(id);
        throw e;
      });
    },
    async wait(id) {
      try {
        return await exitCode(dies.get(id) ?? new Promise<number>(() => undefined), containers.waitExit(id));
      } finally {
        forget(id);
      }
    },
    stop: (id) => containers.stopContainer(id, 10),
    async remove(id) {
      await deps.shipped(id);
      await containers.removeContainer(id);
    },
    discard(id) {
      forget(id);
      return containers.removeContainer(id);
    },
    async serviceReady(service, condition) {
      const mine = (await containers.listContainers({ app: release.app, service })).filter((c) => c.kind === 'web' || c.kind === 'worker');
      const up = mine.filter((c) => c.state === 'running');
      if (!up.length) return mine.length ? `its containers are not running (${mine.map((c) => c.state).join(', ')})` : 'it has no running container';
      if (condition === 'service_healthy' && !up.some((c) => c.health === 'healthy')) return 'it is running but not healthy yet';
      return null;
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      }),
    now: () => new Date(),
  };
}
