// Where an app's containers run, as the rest of Slipway sees it: the rollout's ports, `ps`, and
// removing an app. One host's Docker Engine by default (here); a Docker Swarm after
// `slipway cluster:init` (src/cluster/engine.ts) — the same interface, chosen by configuration.
import type { Containers } from '../docker/containers.js';
import type { Networks } from '../docker/networks.js';
import type { Color } from '../domain.js';
import { appNetworkName } from './container-spec.js';
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
}

export interface Engine {
  name: 'single' | 'swarm';
  ports: RolloutPorts;
  ps(app: string): Promise<PsEntry[]>;
  /** Removes the app's containers, network and volumes (its routes are the caller's). */
  destroyApp(app: string): Promise<void>;
}

export function singleHostEngine(deps: { ports: RolloutPorts; containers: Containers; networks: Networks }): Engine {
  const { ports, containers, networks } = deps;
  return {
    name: 'single',
    ports,
    async ps(app) {
      const list = await containers.listContainers({ app, all: true });
      return list.map((c) => ({ service: c.service, name: c.name, kind: c.kind, color: c.color, release: c.release, state: c.state, health: c.health ?? null, ip: c.ip }));
    },
    async destroyApp(app) {
      for (const c of await ports.list(app)) await ports.remove(c, 0);
      await networks.removeNetwork(appNetworkName(app)).catch(() => undefined);
      await networks.removeVolumes(app).catch(() => undefined);
    },
  };
}
