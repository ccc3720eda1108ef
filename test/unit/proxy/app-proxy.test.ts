// appProxy: the rollout's proxy steps mapped onto backends, hosts and color slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appHost, appProxy, mainWebService, type ProxyControl } from '../../../src/proxy/app-proxy.js';
import type { BackendSpec } from '../../../src/proxy/haproxy-config.js';

function fake() {
  const calls: string[] = [];
  let backends: BackendSpec[] = [];
  const routes = new Map<string, string>();
  const control: ProxyControl = {
    declareBackends: async (specs) => {
      calls.push(`declare ${specs.map((s) => `${s.name}:${s.slotsPerColor}`).join(',')}`);
      backends = [...backends.filter((b) => !specs.some((s) => s.name === b.name)), ...specs];
      return { reloaded: false };
    },
    removeBackends: async (names) => {
      calls.push(`remove ${names.join(',')}`);
      backends = backends.filter((b) => !names.includes(b.name));
      return { reloaded: true };
    },
    backends: () => backends,
    routes: () => new Map(routes),
    route: async (host, be) => void (calls.push(`route ${host} ${be}`), routes.set(host, be)),
    unroute: async (host) => void (calls.push(`unroute ${host}`), routes.delete(host)),
    switchColor: async (be, color, servers) => void calls.push(`switch ${be} ${color} ${servers.map((s) => `${s.addr}:${s.port}`).join(',')}`),
    disableColor: async (be, color) => void calls.push(`disable ${be} ${color}`),
    inFlight: async (be, color) => {
      calls.push(`inFlight ${be} ${color}`);
      return 2;
    },
    setColor: async (be, color, servers) => void calls.push(`set ${be} ${color} ${servers.map((s) => `${s.addr}:${s.port}`).join(',')}`),
    drainServers: async (be, servers) => void calls.push(`drain ${be} ${servers.map((s) => `${s.addr}:${s.port}`).join(',')}`),
    inFlightAt: async (be, servers) => {
      calls.push(`inFlightAt ${be} ${servers.map((s) => `${s.addr}:${s.port}`).join(',')}`);
      return 1;
    },
  };
  return { calls, control };
}

test('prepare declares each web service with rounded-up slots and routes APP.DOMAIN to the main one', async () => {
  const { calls, control } = fake();
  await appProxy(control, 'apps.example.com').prepare('shop', [
    { service: 'api', replicas: 1 },
    { service: 'web', replicas: 5 },
  ]);
  assert.deepEqual(calls, ['declare shop_api:4,shop_web:8', 'route shop.apps.example.com shop_web']);
});

test('a switch moves the backend to the new color; disable takes the old one out', async () => {
  const { calls, control } = fake();
  const p = appProxy(control, 'apps.test');
  await p.switchTo('shop', 'web', 'green', [{ addr: '172.17.0.5', port: 5000 }]);
  assert.equal(await p.inFlight('shop', 'web', 'blue'), 2);
  await p.disable('shop', 'web', 'blue');
  assert.deepEqual(calls, ['switch shop_web green 172.17.0.5:5000', 'inFlight shop_web blue', 'disable shop_web blue']);
});

test('removing an app unroutes its host and drops only its backends', async () => {
  const { calls, control } = fake();
  const p = appProxy(control, 'apps.test');
  await p.prepare('shop', [{ service: 'web', replicas: 1 }]);
  await p.prepare('shopping', [{ service: 'web', replicas: 1 }]);
  calls.length = 0;
  await p.removeApp('shop');
  assert.deepEqual(calls, ['unroute shop.apps.test', 'remove shop_web']);
});

test('the main web service is "web" when there is one, else the first', () => {
  assert.equal(mainWebService([{ service: 'api' }, { service: 'web' }]), 'web');
  assert.equal(mainWebService([{ service: 'api' }, { service: 'admin' }]), 'api');
  assert.equal(mainWebService([]), undefined);
  assert.equal(appHost('shop', 'apps.test'), 'shop.apps.test');
  assert.throws(() => appHost('shop', 'Apps.Test'));
});

test("an app's custom domains route with its default address, at once when it is routed, and go with it", async () => {
  const { calls, control } = fake();
  const custom: Record<string, string[]> = { shop: ['www.shop.example'] };
  const p = appProxy(control, 'apps.test', (app) => custom[app] ?? []);
  await p.addHost('shop', 'early.shop.example');
  assert.deepEqual(calls, [], 'an app never deployed has no backend to route to yet');
  await p.prepare('shop', [{ service: 'web', replicas: 1 }]);
  assert.deepEqual(calls.slice(1), ['route shop.apps.test shop_web', 'route www.shop.example shop_web']);
  calls.length = 0;
  await p.addHost('shop', 'new.shop.example');
  await p.removeHost('new.shop.example');
  await p.removeApp('shop');
  assert.deepEqual(calls, ['route new.shop.example shop_web', 'unroute new.shop.example', 'unroute shop.apps.test', 'unroute www.shop.example', 'remove shop_web']);
});
