// Apps on the proxy, in the rollout's words: `APP.DOMAIN` routes to the app's main web service
// (backend `APP_SERVICE`), `switchTo` readies the new color then drains the old one, `disable`
// takes a drained color out. The composition root hands this to src/deploy as its proxy port.
import { backendName, checkHost, slotCount, type Color, type Server } from './haproxy-config.js';
import type { Proxy } from './haproxy.js';

/** The part of the adapter this needs (a fake in unit tests). */
export type ProxyControl = Pick<
  Proxy,
  'declareBackends' | 'removeBackends' | 'backends' | 'route' | 'unroute' | 'switchColor' | 'disableColor' | 'inFlight' | 'setColor' | 'drainServers' | 'inFlightAt'
>;

export function appHost(app: string, appsDomain: string): string {
  return checkHost(`${app}.${appsDomain}`);
}

/** The service `APP.DOMAIN` serves: the one named `web` (Procfile), else the first. Other web
 *  services get a backend but no host: `SERVICE-APP.DOMAIN` could be another app's name. */
export function mainWebService(web: { service: string }[]): string | undefined {
  return (web.find((w) => w.service === 'web') ?? web[0])?.service;
}


export function appProxy(proxy: ProxyControl, appsDomain: string) {
  return {
    /** Declares the app's web backends (slots rounded up; may reload once) and its route. */
    async prepare(app: string, web: { service: string; replicas: number }[]): Promise<void> {
      await proxy.declareBackends(web.map((w) => ({ name: backendName(app, w.service), slotsPerColor: slotCount(w.replicas) })));
      const main = mainWebService(web);
      if (main) await proxy.route(appHost(app, appsDomain), backendName(app, main));
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

    /** An app deleted: its host stops routing, its backends go (one seamless reload). */
    async removeApp(app: string): Promise<void> {
      await proxy.unroute(appHost(app, appsDomain));
      const mine = proxy.backends().filter((b) => b.name.startsWith(`${app}_`));
      if (mine.length) await proxy.removeBackends(mine.map((b) => b.name));
    },
  };
}
