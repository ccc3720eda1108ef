// Apps on the proxy, in the rollout's words: `APP.DOMAIN` routes to the app's main web service
// (backend `APP_SERVICE`), `switchTo` readies the new color then drains the old one, `disable`
// takes a drained color out. The composition root hands this to src/deploy as its proxy port.
import net from 'node:net';
import { backendName, checkHost, slotCount, type Color, type Server } from './haproxy-config.js';
import type { Proxy } from './haproxy.js';

/** The part of the adapter this needs (a fake in unit tests). */
export type ProxyControl = Pick<
  Proxy,
  'declareBackends' | 'removeBackends' | 'backends' | 'route' | 'unroute' | 'switchColor' | 'disableColor' | 'inFlight' | 'setColor' | 'drainServers' | 'inFlightAt' | 'routes'
>;

/** Backend of Slipway's own API (SLIPWAY_API_DOMAIN); no `_`, so no app service can take it. */
export const API_BACKEND = 'slipway-api';

/** Routes `host` to Slipway's API listening on `listen` (one slot, no blue-green: it is one
 *  process), or, with no host, removes that route. `previous`: API domains to stop routing. */
export async function routeApi(proxy: ProxyControl, host: string | undefined, listen: { host: string; port: number }, previous: string[] = []): Promise<void> {
  // HAProxy reaches an API listening on every address (or by name) on the loopback.
  const server = { addr: net.isIPv4(listen.host) && listen.host !== '0.0.0.0' ? listen.host : '127.0.0.1', port: listen.port };
  for (const h of previous) await proxy.unroute(h);
  if (!host) {
    if (proxy.backends().some((b) => b.name === API_BACKEND)) await proxy.removeBackends([API_BACKEND]);
    return;
  }
  await proxy.declareBackends([{ name: API_BACKEND, slotsPerColor: 1 }]);
  await proxy.setColor(API_BACKEND, 'blue', [server]);
  await proxy.route(checkHost(host), API_BACKEND);
}

export function appHost(app: string, appsDomain: string): string {
  return checkHost(`${app}.${appsDomain}`);
}

/** The service `APP.DOMAIN` serves: the one named `web` (Procfile), else the first. Other web
 *  services get a backend but no host: `SERVICE-APP.DOMAIN` could be another app's name. */
export function mainWebService(web: { service: string }[]): string | undefined {
  return (web.find((w) => w.service === 'web') ?? web[0])?.service;
}


/** `customHosts(app)`: the app's own domains (src/domains), routed like its default address. */
export function appProxy(proxy: ProxyControl, appsDomain: string, customHosts: (app: string) => string[] = () => []) {
  return {
    /** Declares the app's web backends (slots rounded up; may reload once) and its routes. */
    async prepare(app: string, web: { service: string; replicas: number }[]): Promise<void> {
      await proxy.declareBackends(web.map((w) => ({ name: backendName(app, w.service), slotsPerColor: slotCount(w.replicas) })));
      const main = mainWebService(web);
      if (main) for (const host of [appHost(app, appsDomain), ...customHosts(app)]) await proxy.route(host, backendName(app, main));
    },

    /** A domain added to the app routes at once where its default address does; an app never
     *  deployed gets it with its first deploy (prepare). */
    async addHost(app: string, host: string): Promise<void> {
      const backend = proxy.routes().get(appHost(app, appsDomain));
      if (backend) await proxy.route(checkHost(host), backend);
    },

    async removeHost(host: string): Promise<void> {
      await proxy.unroute(checkHost(host));
    },

    /** New color ready first, then the other color drains: never a moment without a server. */
    async switchTo(app: string, service: string, color: Color, servers: Server[]): Promise<void> {
      await proxy.switchColor(backendName(app, service), color, servers);
    },

    inFlight(app: string, service: string, color: Color): Promise<number> {
      return proxy.inFlight(backendName(app, service), color);
    },

    disable(app: string, service: string, color: Color): Promise<void> {
      return proxy.disableColor(backendName(app, service), color);
    },

    /** Exactly these servers serve the color (added ones go ready, missing ones leave); the other
     *  color is untouched. Scaling in place, after the new replicas are healthy. */
    setServers(app: string, service: string, color: Color, servers: Server[]): Promise<void> {
      return proxy.setColor(backendName(app, service), color, servers);
    },

    /** Replicas about to be scaled in stop taking new requests and finish theirs. */
    drainServers(app: string, service: string, servers: Server[]): Promise<void> {
      return proxy.drainServers(backendName(app, service), servers);
    },

    inFlightAt(app: string, service: string, servers: Server[]): Promise<number> {
      return proxy.inFlightAt(backendName(app, service), servers);
    },

    /** An app deleted: its hosts stop routing, its backends go (one seamless reload). */
    async removeApp(app: string): Promise<void> {
      for (const host of [appHost(app, appsDomain), ...customHosts(app)]) await proxy.unroute(host);
      const mine = proxy.backends().filter((b) => b.name.startsWith(`${app}_`));
      if (mine.length) await proxy.removeBackends(mine.map((b) => b.name));
    },
  };
}
