// withPortRoutes: an app's extra host ports follow its main web service through prepare, switch,
// drain and disable, on the mapped container port; other web services and apps are untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPortRoutes, type AppRoutes, type PortControl } from '../../../src/proxy/app-ports.js';
import type { PortMapping } from '../../../src/ports/mappings.js';

function fake(mappings: Record<string, PortMapping[]>) {
  const calls: string[] = [];
  const routes: AppRoutes = {
    prepare: async (app) => void calls.push(`routes.prepare ${app}`),
    switchTo: async (app, s, color) => void calls.push(`routes.switch ${app} ${s} ${color}`),
    inFlight: async () => 1,
    disable: async (app, s, color) => void calls.push(`routes.disable ${app} ${s} ${color}`),
    setServers: async (app, s, color, servers) => void calls.push(`routes.set ${app} ${s} ${color} ${servers.map((x) => x.addr).join(',')}`),
    drainServers: async (app, s) => void calls.push(`routes.drain ${app} ${s}`),
    inFlightAt: async () => 1,
    removeApp: async (app) => void calls.push(`routes.remove ${app}`),
  };
  const control: PortControl = {
    declareBackends: async (specs) => (calls.push(`backends ${specs.map((s) => `${s.name}:${s.slotsPerColor}:${s.mode}`).join(',')}`), { reloaded: true }),
    removeBackends: async (names) => (calls.push(`remove backends ${names.join(',')}`), { reloaded: true }),
    declareListeners: async (add, remove) => (calls.push(`listeners +${add.map((l) => `${l.port}/${l.mode}`).join(',')} -${remove.join(',')}`), { reloaded: true }),
    switchColor: async (be, color, servers) => void calls.push(`switch ${be} ${color} ${servers.map((s) => `${s.addr}:${s.port}`).join(',')}`),
    disableColor: async (be, color) => void calls.push(`disable ${be} ${color}`),
    inFlight: async () => 2,
    setColor: async (be, color, servers) => void calls.push(`set ${be} ${color} ${servers.map((x) => `${x.addr}:${x.port}`).join(',')}`),
    drainServers: async (be, servers) => void calls.push(`drain ${be} ${servers.map((x) => `${x.addr}:${x.port}`).join(',')}`),
    inFlightAt: async () => 3,
  };
  return { calls, proxy: withPortRoutes(routes, control, (app) => mappings[app] ?? []) };
}

const m = (scheme: 'http' | 'tcp', hostPort: number, containerPort: number): PortMapping => ({ scheme, hostPort, containerPort, source: 'user' });

test('a deploy moves the extra ports with the main route, to the mapped container ports', async () => {
  const { calls, proxy } = fake({ shop: [m('http', 8080, 3000), m('tcp', 5432, 5432)] });
  await proxy.prepare('shop', [{ service: 'web', replicas: 5 }, { service: 'admin', replicas: 1 }]);
  await proxy.switchTo('shop', 'web', 'green', [{ addr: '10.0.0.7', port: 5000 }]);
  await proxy.switchTo('shop', 'admin', 'green', [{ addr: '10.0.0.8', port: 5000 }]);
  assert.equal(await proxy.inFlight('shop', 'web', 'blue'), 1 + 2 + 2);
  assert.equal(await proxy.inFlight('shop', 'admin', 'blue'), 1);
  await proxy.disable('shop', 'web', 'blue');
  assert.deepEqual(calls, [
    'routes.prepare shop',
    'backends port-8080:8:http,port-5432:8:tcp',
    'listeners +8080/http,5432/tcp -',
    'routes.switch shop web green',
    'switch port-8080 green 10.0.0.7:3000',
    'switch port-5432 green 10.0.0.7:5432',
    'routes.switch shop admin green',
    'routes.disable shop web blue',
    'disable port-8080 blue',
    'disable port-5432 blue',
  ]);
});

test('an app without mappings touches no listener; removing an app drops its listeners and backends', async () => {
  const { calls, proxy } = fake({ shop: [m('http', 8080, 3000)] });
  await proxy.prepare('blog', [{ service: 'web', replicas: 1 }]);
  assert.deepEqual(calls, ['routes.prepare blog']);
  await proxy.removeApp('shop');
  assert.deepEqual(calls.slice(1), ['listeners + -8080', 'remove backends port-8080', 'routes.remove shop']);
});

test('an in-place resize (the autoscaler) sets, drains and counts the extra ports\' servers too', async () => {
  const { calls, proxy } = fake({ shop: [m('tcp', 5432, 5432)] });
  await proxy.prepare('shop', [{ service: 'web', replicas: 2 }]);
  calls.length = 0;
  await proxy.setServers('shop', 'web', 'blue', [{ addr: '10.0.0.1', port: 5000 }, { addr: '10.0.0.2', port: 5000 }]);
  await proxy.drainServers('shop', 'web', [{ addr: '10.0.0.2', port: 5000 }]);
  assert.equal(await proxy.inFlightAt('shop', 'web', [{ addr: '10.0.0.2', port: 5000 }]), 1 + 3);
  assert.deepEqual(calls, [
    'routes.set shop web blue 10.0.0.1,10.0.0.2',
    'set port-5432 blue 10.0.0.1:5432,10.0.0.2:5432',
    'routes.drain shop web',
    'drain port-5432 10.0.0.2:5432',
  ]);
});
