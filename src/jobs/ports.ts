// Adapts the Docker adapters and the log store to a run's TaskPorts: containers of one release,
// for one run; an exited container is removed only once its output is in the log store.
import type Dockerode from 'dockerode';
import type { Release } from '../domain.js';
import type { Containers } from '../docker/containers.js';
import type { Networks } from '../docker/networks.js';
import { appNetworkName, volumeName } from '../deploy/container-spec.js';
import { pullImage } from '../registry/push.js';
import { jobContainerOptions } from './container.js';
import type { TaskPorts } from './run-graph.js';

export interface JobPortsDeps {
  docker: Dockerode;
  containers: Containers;
  networks: Networks;
  /** Resolves once the container's output is stored (LogService.whenShipped). */
  shipped(id: string): Promise<unknown>;
}

/** Network, volumes and image a release's jobs need (a rollback or a fresh host may lack them). */
export async function prepareRelease(deps: JobPortsDeps, release: Release): Promise<void> {
  await deps.networks.ensureNetwork(appNetworkName(release.app), { 'slipway.app': release.app });
  for (const s of release.services)
    for (const v of s.volumes.filter((v) => !v.bind)) await deps.networks.ensureVolume(volumeName(release.app, v.source), { 'slipway.app': release.app });
  await pullImage(deps.docker, release.image);
}

export function dockerTaskPorts(deps: JobPortsDeps, release: Release, runId: number): TaskPorts {
  const { containers } = deps;
  const info = { version: release.version, imageRef: release.image.ref, config: release.config };
  const names = new Map<string, string>();
  return {
    async create(task, index, attempt) {
      const spec = jobContainerOptions({ app: release.app, release: info, task, runId, index, instances: release.scale[task.name] ?? task.replicas, attempt });
      const id = await containers.createContainer(spec);
      names.set(id, spec.name);
      return { id, name: spec.name };
    },
    start: (id) => containers.startContainer(id, names.get(id)),
    wait: (id) => containers.waitExit(id),
    stop: (id) => containers.stopContainer(id, 10),
    async remove(id) {
      await deps.shipped(id);
      await containers.removeContainer(id);
    },
    discard: (id) => containers.removeContainer(id),
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
