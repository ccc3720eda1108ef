// Where an app's containers run, as the rest of Slipway sees it: the rollout's ports, `ps`, and
// removing an app. One host's Docker Engine by default (here); a Docker Swarm after
// `slipway cluster:init` (src/cluster/cluster.ts) — the same interface, chosen by configuration.
import type { Containers } from '../docker/containers.js';
import type { Color, Progress, Release } from '../domain.js';
import { resize, type ResizePorts } from './resize.js';
import type { RolloutPorts } from './rollout.js';

/** One container (or Swarm task) of an app, for `slipway ps`. */
export interface PsEntry {
  service: string | null;
  name: string;
  kind: string;
  color: Color | null;
  release: number;
  state: string;
  health: string | null;
  ip: string | null;
  /** The swarm node it runs on (swarm mode only). */
  node?: string;
  /** How often the engine restarted it (one host only). */
  restarts?: number | null;
}

export interface Engine {
  name: 'single' | 'swarm';
  ports: RolloutPorts;
  /** Runs a release's service with this many replicas, in place (the autoscaler's change);
   *  resolves to the count it had before. */
  resize(release: Release, service: string, replicas: number, progress: Progress): Promise<number>;
  /** The app's running replicas, each under the id its metrics are stored by (the autoscaler's look). */
  replicas(app: string): Promise<Replica[]>;
  ps(app: string): Promise<PsEntry[]>;
  /** Removes what the app runs beyond this host's containers, network and volumes (a swarm's
   *  services and overlay); the teardown (src/retention/destroy.ts) removes the rest. */
  destroyApp(app: string): Promise<void>;
}

/** A running replica as the autoscaler sees it: `id` is its container's, the metrics' key. */
export interface Replica {
  id: string;
  service: string | null;
  release: number;
  color: Color | null;
  state: string;
  /** ms since the epoch */
  createdAt: number;
}

export function singleHostEngine(deps: { ports: RolloutPorts & ResizePorts; containers: Containers }): Engine {
  const { ports, containers } = deps;
  return {
    name: 'single',
    ports,
    resize: (release, service, replicas, progress) => resize(release, service, replicas, ports, progress),
    replicas: (app) => containers.listContainers({ app }),
    async ps(app) {
      const list = await containers.listContainers({ app, all: true });
      // Restart counts are only in each container's inspect; an app has a handful.
      const restarts = await Promise.all(list.map((c) => containers.runtime(c.id).then((r) => r?.restartCount ?? null, () => null)));
      return list.map((c, i) => ({ service: c.service, name: c.name, kind: c.kind, color: c.color, release: c.release, state: c.state, health: c.health ?? null, ip: c.ip, restarts: restarts[i] }));
    },
    // One host: everything of the app is this host's, which the teardown removes.
    destroyApp: async () => undefined,
  };
}
