// The ports plugin's rules on real state (SQLite in memory) with a fake proxy: one app per host
// port, Slipway's own ports refused, a port in use elsewhere refused, changes applied at once on
// the serving color, EXPOSE mapped and unmapped as the image changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Color } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { AppPorts, servingOf } from '../../../src/ports/service.js';
import { openTestState } from '../../helpers/state.js';
import { serviceSpec } from '../../helpers/specs.js';

function harness(t: { after(fn: () => void): void }, opts: { busy?: number[]; serving?: { color: Color; addrs: string[] } | null; refuse?: boolean } = {}) {
  const state = openTestState();
  t.after(() => state.close());
  const calls: string[] = [];
  const ports = new AppPorts({
    state,
    routes: {
      declare: async (app) => {
        if (opts.refuse) throw new Error('haproxy -c rejected the config');
        calls.push(`declare ${app} ${state.ports.forApp(app).map((m) => m.hostPort).join(',')}`);
      },
      serve: async (app, color, addrs) => void calls.push(`serve ${app} ${color} ${addrs.join(',')}`),
      remove: async (hostPorts) => void calls.push(`remove ${hostPorts.join(',')}`),
    },
    serving: async () => (opts.serving === undefined ? { color: 'blue', addrs: ['10.0.0.2'] } : opts.serving),
    reserved: new Map([[80, "Slipway's HTTP port for apps"]]),
    portFree: async (p) => !(opts.busy ?? []).includes(p),
  });
  return { state, ports, calls, shop: state.apps.create('shop'), blog: state.apps.create('blog') };
}

const refused = (pattern: RegExp, status: number) => (e: unknown) => e instanceof UserError && e.status === status && pattern.test(e.message);

test('ports:add stores the mapping and applies it at once on the serving color', async (t) => {
  const h = harness(t);
  const list = await h.ports.add(h.shop, ['http:8080:3000', 'tcp:5432:5432']);
  assert.deepEqual(list, [
    { hostPort: 5432, scheme: 'tcp', containerPort: 5432, source: 'user' },
    { hostPort: 8080, scheme: 'http', containerPort: 3000, source: 'user' },
  ]);
  assert.deepEqual(h.calls, ['declare shop 5432,8080', 'serve shop blue 10.0.0.2']);
});

test('a host port held by another app is refused naming the holder; nothing changes', async (t) => {
  const h = harness(t);
  await h.ports.add(h.blog, ['http:8080:5000']);
  await assert.rejects(h.ports.add(h.shop, ['tcp:9000:9000', 'http:8080:3000']), refused(/http:8080:3000: host port 8080 is held by app blog \(http:8080:5000\)/, 409));
  assert.deepEqual(h.ports.list('shop'), []);
});

test("Slipway's own ports, a port another program uses, and a port given twice are refused", async (t) => {
  const h = harness(t, { busy: [3306] });
  await assert.rejects(h.ports.add(h.shop, ['http:80:3000']), refused(/host port 80 is Slipway's HTTP port for apps/, 409));
  await assert.rejects(h.ports.add(h.shop, ['tcp:3306:3306']), refused(/host port 3306 is in use by another program on this machine/, 409));
  await assert.rejects(h.ports.add(h.shop, ['tcp:9000:1', 'http:9000:2']), refused(/host port 9000 is given twice/, 422));
});

test('re-adding an own host port replaces it (no "in use" from our own listener); ports:remove by port or mapping', async (t) => {
  const h = harness(t, { busy: [8080] });
  h.state.ports.change(h.shop.id, [{ scheme: 'http', hostPort: 8080, containerPort: 3000, source: 'user' }], []);
  await h.ports.add(h.shop, ['tcp:8080:4000']);
  assert.deepEqual(h.ports.list('shop'), [{ hostPort: 8080, scheme: 'tcp', containerPort: 4000, source: 'user' }]);
  await assert.rejects(h.ports.remove(h.shop, ['9999']), refused(/shop has no mapping on host port 9999/, 404));
  await h.ports.remove(h.shop, ['tcp:8080:4000']);
  assert.deepEqual(h.ports.list('shop'), []);
  assert.equal(h.calls.at(-1), 'remove 8080');
});

test('an app not running yet gets its listeners; containers come with its first deploy', async (t) => {
  const h = harness(t, { serving: null });
  await h.ports.add(h.shop, ['http:8080:3000']);
  assert.deepEqual(h.calls, ['declare shop 8080']);
});

test('EXPOSE: TCP ports mapped, UDP and taken ports skipped with warnings, stale ones removed, the user\'s kept', async (t) => {
  const h = harness(t, { busy: [7000] });
  await h.ports.add(h.blog, ['tcp:6379:1']);
  await h.ports.add(h.shop, ['http:5432:3000']);
  const said: string[] = [];
  await h.ports.syncExposed(h.shop, ['5432/tcp', '6379/tcp', '7000/tcp', '9000/tcp', '53/udp'], (l) => said.push(l));
  assert.deepEqual(
    h.ports.list('shop').map((m) => `${m.scheme}:${m.hostPort}:${m.containerPort} ${m.source}`),
    ['http:5432:3000 user', 'tcp:9000:9000 expose'],
  );
  assert.deepEqual(said, [
    ' !     EXPOSE 53/udp: skipped — only TCP ports can be mapped (HAProxy proxies TCP)',
    ' !     EXPOSE 6379: not mapped — host port 6379 is held by app blog (tcp:6379:1); remove it there first or pick another port',
    ' !     EXPOSE 7000: not mapped — host port 7000 is in use by another program on this machine',
    '-----> Ports from EXPOSE (SLIPWAY_EXPOSE_PORTS): tcp:9000:9000',
  ]);
  await h.ports.syncExposed(h.shop, ['5432/tcp'], () => undefined);
  assert.deepEqual(h.ports.list('shop').map((m) => m.hostPort), [5432]);
  assert.equal(h.calls.at(-1), 'remove 9000');
});

test('servingOf: the active release\'s main web containers on their color', () => {
  const release = { version: 3, services: [serviceSpec({ name: 'web' }), serviceSpec({ name: 'worker', role: 'worker' })] };
  const c = (service: string, rel: number, color: Color | null, ip: string) => ({ service, release: rel, color, ip });
  assert.deepEqual(servingOf(release, [c('web', 3, 'green', '10.0.0.5'), c('web', 2, 'blue', '10.0.0.4'), c('worker', 3, null, '10.0.0.6')]), {
    color: 'green',
    addrs: ['10.0.0.5'],
  });
  assert.equal(servingOf(undefined, []), null);
  assert.equal(servingOf(release, [c('worker', 3, null, '10.0.0.6')]), null);
});

test('when HAProxy refuses the change, the stored mappings stay as they were', async (t) => {
  const h = harness(t, { refuse: true });
  h.state.ports.change(h.shop.id, [{ scheme: 'http', hostPort: 8080, containerPort: 3000, source: 'user' }], []);
  await assert.rejects(h.ports.add(h.shop, ['tcp:8080:4000', 'tcp:9000:9000']), /haproxy -c rejected/);
  assert.deepEqual(h.ports.list('shop'), [{ hostPort: 8080, scheme: 'http', containerPort: 3000, source: 'user' }]);
});
