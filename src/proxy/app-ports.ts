// The ports plugin on HAProxy: each host port of an app gets its own listener and a blue-green
// backend (`port-8080`) whose slots point at the main web service's containers on the mapped
// container port. Wrapped around the app proxy, so a rollout's switch, drain and disable move
// the extra ports with the main route and the rollout itself knows nothing of them.
import type { Color } from '../domain.js';
import type { PortMapping } from '../ports/mappings.js';
import { mainWebService } from './app-proxy.js';
import { slotCount, type Server } from './haproxy-config.js';
import type { Proxy } from './haproxy.js';

export type PortControl = Pick<Proxy, 'declareBackends' | 'removeBackends' | 'declareListeners' | 'switchColor' | 'disableColor' | 'inFlight'>;

/** The rollout's proxy port, as app-proxy.ts implements it. */
export interface AppRoutes {
  prepare(app: string, web: { service: string; replicas: number }[]): Promise<void>;
  switchTo(app: string, service: string, color: Color, servers: Server[]): Promise<void>;
  inFlight(app: string, service: string, color: Color): Promise<number>;
  disable(app: string, service: string, color: Color): Promise<void>;
  removeApp(app: string): Promise<void>;
}

/** Port backends have no `_`, so no app's `app_service` backend can take the name. */
export const portBackend = (hostPort: number) => `port-${hostPort}`;

export function withPortRoutes(routes: AppRoutes, control: PortControl, portsOf: (app: string) => PortMapping[]) {
  /** The service each app's ports route to, learnt when its release is prepared. */
  const main = new Map<string, { service: string; replicas: number }>();
  const mine = (app: string, service: string) => (main.get(app)?.service === service ? portsOf(app) : []);

  const ports = {
    /** Declares the app's port backends and listeners (one seamless reload when they are new). */
    async declare(app: string): Promise<void> {
      const list = portsOf(app);
      const replicas = main.get(app)?.replicas ?? 1;
      if (!list.length) return;
      await control.declareBackends(list.map((m) => ({ name: portBackend(m.hostPort), slotsPerColor: slotCount(replicas), mode: m.scheme === 'tcp' ? 'tcp' : 'http' })));
      await control.declareListeners(list.map((m) => ({ port: m.hostPort, mode: m.scheme, backend: portBackend(m.hostPort) })), []);
    },

    /** Points the app's port backends at the serving containers (after ports:add). */
    async serve(app: string, color: Color, addrs: string[]): Promise<void> {
      for (const m of portsOf(app)) await control.switchColor(portBackend(m.hostPort), color, addrs.map((addr) => ({ addr, port: m.containerPort })));
    },

    /** Stops listening on these host ports and drops their backends. */
    async remove(hostPorts: number[]): Promise<void> {
      if (!hostPorts.length) return;
      await control.declareListeners([], hostPorts);
      await control.removeBackends(hostPorts.map(portBackend));
    },
  };

  const proxy: AppRoutes = {
    async prepare(app, web) {
      await routes.prepare(app, web);
      const service = mainWebService(web);
      if (service) main.set(app, { service, replicas: web.find((w) => w.service === service)!.replicas });
      else main.delete(app);
      await ports.declare(app);
    },
    async switchTo(app, service, color, servers) {
      await routes.switchTo(app, service, color, servers);
      for (const m of mine(app, service))
        await control.switchColor(portBackend(m.hostPort), color, servers.map((s) => ({ addr: s.addr, port: m.containerPort })));
    },
    async inFlight(app, service, color) {
      const counts = await Promise.all([routes.inFlight(app, service, color), ...mine(app, service).map((m) => control.inFlight(portBackend(m.hostPort), color))]);
      return counts.reduce((a, b) => a + b, 0);
    },
    async disable(app, service, color) {
      await routes.disable(app, service, color);
      for (const m of mine(app, service)) await control.disableColor(portBackend(m.hostPort), color);
    },
    async removeApp(app) {
      await ports.remove(portsOf(app).map((m) => m.hostPort));
      main.delete(app);
      await routes.removeApp(app);
    },
  };
  return { ...proxy, ports };
}
