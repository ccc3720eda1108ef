// Adapts an engine's Docker adapters and the log store to a run's TaskPorts: containers of one
// release, for one run; an exit is noticed from the `die` event or the wait API, whichever says
// first (exit.ts); an exited container is removed only once its output is in the log store.
// Where the containers run is a JobEngine: this host's engine (here), or a swarm manager's,
// on the app's overlay (src/cluster/jobs.ts) — the run itself is the same code on both.
import type Dockerode from 'dockerode';
import type { Release, ServiceSpec } from '../domain.js';
import type { Containers } from '../docker/containers.js';
import type { ContainerExits } from '../docker/exits.js';
import type { Networks } from '../docker/networks.js';
import { appNetworkName, volumeName } from '../deploy/container-spec.js';
import { pullImage } from '../registry/push.js';
import { errorMessage } from '../errors.js';
import { jobContainerOptions } from './container.js';
import { exitCode } from './exit.js';
import { GATE_GO, GATE_UNRELEASED, gatedSpec } from './gate.js';
import type { TaskPorts } from './run-graph.js';

type Condition = ServiceSpec['dependsOn'][number]['condition'];

/** Where a run's containers run, and what differs there. */
export interface JobEngine {
  containers: Containers;
  /** `die` events of job containers on this engine (the early exit notice). */
  exits: ContainerExits;
  /** Network, volumes and images a release's jobs need (a rollback or a fresh host may lack them). */
  prepare(release: Release): Promise<void>;
  /** The release's image as this engine pulls it (same digest). */
  imageRef(release: Release): string;
  /** Set on every attempt's container, over the rest (on a swarm: the node agent ships its logs). */
  labels: Record<string, string>;
  /** null when the app's long-running `service` (of `release`) meets `condition`, else why not. */
  serviceReady(release: Release, service: string, condition: Condition): Promise<string | null>;
  /** Resolves once the container's output is stored (LogService.whenShipped). */
  shipped(id: string): Promise<unknown>;
}

export interface LocalJobDeps {
  docker: Dockerode;
  containers: Containers;
  networks: Networks;
  exits: ContainerExits;
  shipped(id: string): Promise<unknown>;
}

/** This host's engine: containers on the app's bridge network, shipped by the server's log stage. */
export function localJobEngine(deps: LocalJobDeps): JobEngine {
  const { containers, exits, shipped } = deps;
  return {
    containers,
    exits,
    shipped,
    labels: {},
    imageRef: (release) => release.image.ref,
    async prepare(release) {
      // Independent look-ups, each a round trip to a busy engine: at once, not one after another.
      const volumes = new Set(release.services.flatMap((s) => s.volumes.filter((v) => !v.bind).map((v) => volumeName(release.app, v.source))));
      await Promise.all([
        deps.networks.ensureNetwork(appNetworkName(release.app), { 'slipway.app': release.app }),
        ...[...volumes].map((v) => deps.networks.ensureVolume(v, { 'slipway.app': release.app })),
        pullImage(deps.docker, release.image),
      ]);
    },
    async serviceReady(release, service, condition) {
      const mine = (await containers.listContainers({ app: release.app, service })).filter((c) => c.kind === 'web' || c.kind === 'worker');
      const up = mine.filter((c) => c.state === 'running');
      if (!up.length) return mine.length ? `its containers are not running (${mine.map((c) => c.state).join(', ')})` : 'it has no running container';
      if (condition === 'service_healthy' && !up.some((c) => c.health === 'healthy')) return 'it is running but not healthy yet';
      return null;
    },
  };
}

export function dockerTaskPorts(engine: JobEngine, release: Release, runId: number): TaskPorts {
  const { containers, exits } = engine;
  const info = { version: release.version, imageRef: engine.imageRef(release), config: release.config };
  const names = new Map<string, string>();
  // Each container's `die`, watched from its creation so it cannot pass unseen.
  const dies = new Map<string, Promise<number>>();
  // Held containers (gate.ts): their stdin, and the exit of one whose gate ended unreleased.
  const gates = new Map<string, { send(line: string): Promise<void>; close(): void }>();
  const gateEnded = new Map<string, number>();
  let imageCommand: ReturnType<Containers['imageCommand']> | null = null;
  const forget = (id: string) => {
    dies.delete(id);
    exits.forget(id);
    gates.get(id)?.close();
    gates.delete(id);
    gateEnded.delete(id);
  };
  const specOf = (task: Parameters<TaskPorts['create']>[0], index: number, attempt: number) => {
    const spec = jobContainerOptions({ app: release.app, release: info, task, runId, index, instances: release.scale[task.name] ?? task.replicas, attempt });
    Object.assign(spec.Labels, engine.labels);
    return spec;
  };
  const created = async (spec: ReturnType<typeof specOf>) => {
    const id = await containers.createContainer(spec);
    names.set(id, spec.name);
    dies.set(id, exits.next(id));
    return { id, name: spec.name };
  };
  return {
    create: (task, index, attempt) => created(specOf(task, index, attempt)),
    async hold(task, index) {
      const spec = specOf(task, index, 1);
      imageCommand ??= containers.imageCommand(info.imageRef);
      const image = await imageCommand.catch(() => null);
      const gated = image && gatedSpec(spec, image);
      if (!gated) return created(spec);
      const c = await created(gated);
      try {
        gates.set(c.id, await containers.attachStdin(c.id, c.name));
        await exits.ready();
        await containers.startContainer(c.id, c.name);
        void dies.get(c.id)!.then((code) => gateEnded.set(c.id, code));
        return c;
      } catch {
        // An image without /bin/sh cannot be held: its attempt is created plainly and started at its turn.
        forget(c.id);
        await containers.removeContainer(c.id).catch(() => undefined);
        return created(spec);
      }
    },
    async start(id) {
      const gate = gates.get(id);
      if (gate) {
        const ended = gateEnded.get(id);
        if (ended !== undefined) throw new Error(`its container, started ahead and held for its turn, exited before that (${ended === GATE_UNRELEASED ? 'its gate closed' : `exit ${ended}`})`);
        gates.delete(id);
        await gate.send(GATE_GO).catch((e: unknown) => {
          forget(id);
          throw new Error(`could not release its held container: ${errorMessage(e)}`);
        });
        return;
      }
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
      await engine.shipped(id);
      await containers.removeContainer(id);
    },
    discard(id) {
      forget(id);
      return containers.removeContainer(id);
    },
    serviceReady: (service, condition) => engine.serviceReady(release, service, condition),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      }),
    now: () => new Date(),
  };
}
