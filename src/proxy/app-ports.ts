// The ports plugin on HAProxy: each host port of an app gets its own listener and a blue-green
// backend (`port-8080`) whose slots point at the main web service's containers on the mapped
// container port. Wrapped around the app proxy, so a rollout's switch, drain and disable (and an
// in-place resize's) move the extra ports with the main route; the deploy stage knows nothing of them.
import type { Color } from '../domain.js';
import type { PortMapping } from '../ports/mappings.js';
import { mainWebService } from './app-proxy.js';
import { slotCount, type Server } from './haproxy-config.js';
import type { Proxy } from './haproxy.js';

export type PortControl = Pick<
  Proxy,
  'declareBackends' | 'removeBackends' | 'declareListeners' | 'switchColor' | 'disableColor' | 'inFlight' | 'setColor' | 'drainServers' | 'inFlightAt'
>;

/** The rollout's (and in-place resize's) proxy port, as app-proxy.ts implements it. */
export interface AppRoutes {
  prepare(app: string, web: { service: string; replicas: number }[]): Promise<void>;
  switchTo(app: string, service: string, color: Color, servers: Server[]): Promise<void>;
  inFlight(app: string, service: string, color: Color): Promise<number>;
  disable(app: string, service: string, color: Color): Promise<void>;
  setServers(app: string, service: string, color: Color, servers: Server[]): Promise<void>;
  drainServers(app: string, service: string, servers: Server[]): Promise<void>;
  inFlightAt(app: string, service: string, servers: Server[]): Promise<number>;
  removeApp(app: string): Promise<void>;
}

/** Port backends have no `_`, so no app's `app_service` backend can take the name. */
export const portBackend = (hostPort: number) => `port-${hostPort}`;

/** `routes` with the ports plugin's backends moving alongside; its other methods pass through. */
export function withPortRoutes<R extends AppRoutes>(routes: R, control: PortControl, portsOf: (app: string) => PortMapping[]) {
  /** The service each app's ports route to, learnt when its release is prepared. */
  const main = new Map<string, { service: string; replicas: number }>();
  const mine = (app: string, service: string) => (main.get(app)?.service === service ? portsOf(app) : []);
  /** The same containers, on a mapping's container port. */
  const on = (m: PortMapping, servers: Server[]) => servers.map((s) => ({ addr: s.addr, port: m.containerPort }));

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
      for (const m of mine(app, service)) await control.switchColor(portBackend(m.hostPort), color, on(m, servers));
    },
    async inFlight(app, service, color) {
      const counts = await Promise.all([routes.inFlight(app, service, color), ...mine(app, service).map((m) => control.inFlight(portBackend(m.hostPort), color))]);
      return counts.reduce((a, b) => a + b, 0);
    },
    async disable(app, service, color) {
      await routes.disable(app, service, color);
      for (const m of mine(app, service)) await control.disableColor(portBackend(m.hostPort), color);
    },
    async setServers(app, service, color, servers) {
      await routes.setServers(app, service, color, servers);
      for (const m of mine(app, service)) await control.setColor(portBackend(m.hostPort), color, on(m, servers));
    },
    async drainServers(app, service, servers) {
      await routes.drainServers(app, service, servers);
      for (const m of mine(app, service)) await control.drainServers(portBackend(m.hostPort), on(m, servers));
    },
    async inFlightAt(app, service, servers) {
      const counts = await Promise.all([routes.inFlightAt(app, service, servers), ...mine(app, service).map((m) => control.inFlightAt(portBackend(m.hostPort), on(m, servers)))]);
      return counts.reduce((a, b) => a + b, 0);
    },
    async removeApp(app) {
      await ports.remove(portsOf(app).map((m) => m.hostPort));
      main.delete(app);
      await routes.removeApp(app);
    },
  };
  return { ...routes, ...proxy, ports };
}
