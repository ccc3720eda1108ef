// renderHaproxyConfig and the name/host/address checks that keep user input out of the config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backendName,
  checkAddr,
  checkHost,
  checkPath,
  colorOfSlot,
  renderHaproxyConfig,
  slotCount,
  slotNames,
  type HaproxyConfigInput,
} from '../../../src/proxy/haproxy-config.js';
import { REGISTRY_DOOR_REFUSAL } from '../../../src/proxy/registry-door.js';

const base: HaproxyConfigInput = {
  httpPort: 8080,
  adminSocket: '/data/haproxy/admin.sock',
  mapFile: '/data/haproxy/hosts.map',
  backends: [{ name: 'shop_web', slotsPerColor: 4 }],
};
const lines = (cfg: string) => cfg.split('\n').map((l) => l.trim());

test('every backend declares blue1..N and green1..N, disabled at a placeholder', () => {
  const cfg = lines(renderHaproxyConfig(base));
  for (const c of ['blue', 'green']) for (let i = 1; i <= 4; i++) assert.ok(cfg.includes(`server ${c}${i} 127.0.0.1:1 disabled`), `${c}${i}`);
  assert.ok(!cfg.some((l) => /server (blue|green)5/.test(l)));
});

test('ready slots are written enabled at their address, so a reload keeps serving them', () => {
  const cfg = lines(renderHaproxyConfig({ ...base, serving: { shop_web: [{ slot: 'green2', addr: '172.17.0.5', port: 5000 }] } }));
  assert.ok(cfg.includes('server green2 172.17.0.5:5000'));
  assert.ok(cfg.includes('server green1 127.0.0.1:1 disabled'));
});

test('a ready slot the backend does not declare is an error, not silently dropped', () => {
  assert.throws(() => renderHaproxyConfig({ ...base, serving: { shop_web: [{ slot: 'blue5', addr: '10.0.0.1', port: 80 }] } }), /no slot blue5/);
});

test('the frontend routes by lower-cased Host without port through the map file', () => {
  const cfg = lines(renderHaproxyConfig(base));
  assert.ok(cfg.includes('use_backend %[req.hdr(host),lower,word(1,:),map(/data/haproxy/hosts.map)]'));
  assert.ok(cfg.includes('bind :8080'));
  assert.ok(lines(renderHaproxyConfig({ ...base, bindAddress: '127.0.0.1' })).includes('bind 127.0.0.1:8080'));
});

test('an unknown host gets a 404 "no app at this address", not a 503', () => {
  const cfg = renderHaproxyConfig(base);
  assert.match(cfg, /default_backend slipway-unknown-host/);
  assert.match(cfg, /http-request return status 404 .*no app at this address/);
});

test('switches and reloads are clean: admin socket exposes listeners, retries redispatch, idle-close-on-response', () => {
  const cfg = lines(renderHaproxyConfig(base));
  assert.ok(cfg.includes('stats socket /data/haproxy/admin.sock mode 600 level admin expose-fd listeners'));
  for (const l of ['option idle-close-on-response', 'option redispatch 1', 'retries 3', 'retry-on conn-failure empty-response', 'option http-keep-alive'])
    assert.ok(cfg.includes(l), l);
  assert.ok(cfg.some((l) => l.startsWith('http-request disable-l7-retry if !METH_GET')), 'non-idempotent requests are not replayed');
  assert.ok(cfg.some((l) => l.startsWith('timeout connect')) && cfg.some((l) => l.startsWith('timeout http-keep-alive')));
});

test('a health check renders an HTTP check with a Host header; without one, a TCP check', () => {
  const http = lines(
    renderHaproxyConfig({ ...base, backends: [{ name: 'shop_web', slotsPerColor: 4, healthCheck: { path: '/health?full=1', intervalSeconds: 5 } }] }),
  );
  assert.ok(http.includes('option httpchk'));
  assert.ok(http.includes('http-check send meth GET uri /health?full=1 ver HTTP/1.1 hdr Host localhost'));
  assert.ok(http.includes('default-server check inter 5s fall 3 rise 2'));
  const tcp = lines(renderHaproxyConfig(base));
  assert.ok(!tcp.includes('option httpchk'));
  assert.ok(tcp.includes('default-server check inter 2s fall 3 rise 2'));
});

test('backends are rendered in a stable order, so equal input means equal text (no needless reload)', () => {
  const a = renderHaproxyConfig({ ...base, backends: [{ name: 'b_web', slotsPerColor: 4 }, { name: 'a_web', slotsPerColor: 4 }] });
  const b = renderHaproxyConfig({ ...base, backends: [{ name: 'a_web', slotsPerColor: 4 }, { name: 'b_web', slotsPerColor: 4 }] });
  assert.equal(a, b);
  assert.ok(a.indexOf('backend a_web') < a.indexOf('backend b_web'));
});

test('injection through names, hosts, paths and addresses is refused', () => {
  const bad: [string, Partial<HaproxyConfigInput>][] = [
    ['newline in backend', { backends: [{ name: 'x_web\n    server evil 1.2.3.4:80', slotsPerColor: 4 }] }],
    ['space in backend', { backends: [{ name: 'x web', slotsPerColor: 4 }] }],
    ['reserved backend', { backends: [{ name: 'slipway-unknown-host', slotsPerColor: 4 }] }],
    ['duplicate backend', { backends: [{ name: 'a_web', slotsPerColor: 4 }, { name: 'a_web', slotsPerColor: 4 }] }],
    ['zero slots', { backends: [{ name: 'a_web', slotsPerColor: 0 }] }],
    ['too many slots', { backends: [{ name: 'a_web', slotsPerColor: 1000 }] }],
    ['check path with space', { backends: [{ name: 'a_web', slotsPerColor: 4, healthCheck: { path: '/a b' } }] }],
    ['check path with quote', { backends: [{ name: 'a_web', slotsPerColor: 4, healthCheck: { path: '/"x' } }] }],
    ['check host', { backends: [{ name: 'a_web', slotsPerColor: 4, healthCheck: { path: '/', host: 'a b' } }] }],
    ['socket with space', { adminSocket: '/data dir/admin.sock' }],
    ['relative map', { mapFile: 'hosts.map' }],
    ['port', { httpPort: 70000 }],
    ['bind address', { bindAddress: '0.0.0.0:80' }],
    ['server address', { serving: { shop_web: [{ slot: 'blue1', addr: '1.2.3.4 backup', port: 80 }] } }],
    ['server slot', { serving: { shop_web: [{ slot: 'red1', addr: '1.2.3.4', port: 80 }] } }],
  ];
  for (const [what, override] of bad) assert.throws(() => renderHaproxyConfig({ ...base, ...override }), Error, what);
});

test('hosts are lower-case DNS names without port', () => {
  for (const ok of ['shop.apps.example.com', 'a', 'x-1.localhost']) assert.equal(checkHost(ok), ok);
  for (const bad of ['Shop.example.com', 'a b', 'a\nb', 'host:80', '-a.com', 'a.com.', 'a..b', '', 'a;b', 'x'.repeat(254)])
    assert.throws(() => checkHost(bad), /invalid host/, JSON.stringify(bad));
});

test('server addresses are IPv4, paths absolute and unquoted', () => {
  assert.equal(checkAddr('172.18.0.3'), '172.18.0.3');
  for (const bad of ['localhost', '::1', '1.2.3.4\n', '1.2.3', '256.1.1.1']) assert.throws(() => checkAddr(bad));
  assert.equal(checkPath('/var/lib/slipway/haproxy/hosts.map'), '/var/lib/slipway/haproxy/hosts.map');
  for (const bad of ['rel/path', '/a b', '/a"b', '/a#b', '/a$b', '/a;b', '/a\nb']) assert.throws(() => checkPath(bad));
});

test('slot counts round up so scaling rarely needs a reload', () => {
  assert.deepEqual([1, 4, 5, 8, 9, 16, 17, 100].map(slotCount), [4, 4, 8, 8, 16, 16, 32, 128]);
  assert.throws(() => slotCount(1000), /slots/);
});

test('slot and backend names', () => {
  assert.deepEqual(slotNames('green', 3), ['green1', 'green2', 'green3']);
  assert.equal(colorOfSlot('blue12'), 'blue');
  assert.equal(colorOfSlot('green1'), 'green');
  assert.equal(colorOfSlot('blue0'), null);
  assert.equal(colorOfSlot('red1'), null);
  assert.equal(backendName('shop', 'web'), 'shop_web');
  assert.equal(backendName('shop', 'api_v2'), 'shop_api_v2');
  assert.throws(() => backendName('shop', 'we b'));
});

test('swarm mode: every server line names the namespace; a probe relay and the registry door are declared', () => {
  const cluster = { namespace: 'slipway-edge-ab12', probeSocket: '/data/haproxy/probe.sock', registry: { bind: '10.0.0.5', port: 5000, target: '127.0.0.1:5000' } };
  const cfg = lines(renderHaproxyConfig({ ...base, cluster, serving: { shop_web: [{ slot: 'blue1', addr: '10.0.1.5', port: 5000 }] } }));
  assert.ok(cfg.includes('server blue1 10.0.1.5:5000 namespace slipway-edge-ab12'));
  assert.ok(cfg.includes('server green4 127.0.0.1:1 disabled namespace slipway-edge-ab12'));
  assert.ok(cfg.includes('bind unix@/data/haproxy/probe.sock mode 600 accept-proxy'));
  assert.ok(cfg.includes('server relay 0.0.0.0:0 namespace slipway-edge-ab12'));
  assert.ok(cfg.includes('bind 10.0.0.5:5000'));
  assert.ok(cfg.includes('server registry 127.0.0.1:5000'));
  // The TCP sections come after a tcp defaults, so the http options never apply to them.
  const text = renderHaproxyConfig({ ...base, cluster });
  assert.ok(text.indexOf('mode tcp') < text.indexOf('frontend slipway-probe'));
  assert.ok(!lines(renderHaproxyConfig(base)).some((l) => l.includes('namespace')));
});

test('the registry door is read-only: mode http, GET and HEAD pass, every other method gets 405 with a body saying why', () => {
  const cluster = { probeSocket: '/p.sock', registry: { bind: '10.0.0.5', port: 5000, target: '127.0.0.1:5000' } };
  const text = renderHaproxyConfig({ ...base, cluster });
  const door = lines(text.slice(text.indexOf('frontend slipway-registry')));
  const front = door.slice(0, door.indexOf(''));
  assert.deepEqual(front.filter((l) => l.startsWith('mode ')), ['mode http']);
  assert.ok(front.includes('bind 10.0.0.5:5000'));
  const rule = front.find((l) => l.startsWith('http-request return'));
  assert.ok(rule, front.join('\n'));
  assert.match(rule, /^http-request return status 405 .*hdr Allow "GET, HEAD" unless \{ method GET HEAD \}$/);
  assert.ok(rule.includes(`string "${REGISTRY_DOOR_REFUSAL}"`));
  // The body is one quoted HAProxy word: nothing in it may end the string.
  assert.doesNotMatch(REGISTRY_DOOR_REFUSAL, /["\\]/);
  // Refused before any backend: the rule comes ahead of default_backend, which talks http too.
  assert.ok(front.indexOf(rule) < front.indexOf('default_backend slipway-registry'));
  const back = door.slice(door.indexOf('backend slipway-registry'));
  assert.equal(back[1], 'mode http');
  assert.equal(back[2], 'server registry 127.0.0.1:5000');
});

test('swarm mode refuses a namespace name or door address that could inject config', () => {
  const cluster = { namespace: 'edge x', probeSocket: '/p.sock' };
  assert.throws(() => renderHaproxyConfig({ ...base, cluster }), /invalid network namespace/);
  const door = { namespace: 'edge', probeSocket: '/p.sock', registry: { bind: '10.0.0.5\n    bind :1', port: 5000, target: '127.0.0.1:5000' } };
  assert.throws(() => renderHaproxyConfig({ ...base, cluster: door }), /invalid server address/);
});

test('a ports-plugin listener: its own frontend on the host port, tcp ones in tcp mode end to end', () => {
  const cfg = renderHaproxyConfig({
    ...base,
    backends: [...base.backends, { name: 'port-8081', slotsPerColor: 4 }, { name: 'port-5432', slotsPerColor: 4, mode: 'tcp' }],
    listeners: [
      { port: 8081, mode: 'http', backend: 'port-8081' },
      { port: 5432, mode: 'tcp', backend: 'port-5432' },
    ],
  });
  const at = (header: string) => cfg.slice(cfg.indexOf(header)).split('\n\n')[0]!.split('\n').map((l) => l.trim());
  assert.deepEqual(at('frontend slipway-port-8081'), ['frontend slipway-port-8081', 'bind :8081', 'default_backend port-8081', '']);
  assert.deepEqual(at('frontend slipway-port-5432').slice(0, 7), [
    'frontend slipway-port-5432',
    'bind :5432',
    'mode tcp',
    'timeout client 1h',
    'no log',
    'log-format "%b"',
    'default_backend port-5432',
  ]);
  const tcp = at('backend port-5432');
  assert.ok(tcp.includes('mode tcp') && tcp.includes('retry-on conn-failure'), tcp.join('\n'));
  assert.ok(!tcp.some((l) => l.startsWith('http-')), 'no HTTP rules in a tcp backend');
  assert.ok(at('backend port-8081').some((l) => l.startsWith('http-request disable-l7-retry')));
});

test('listeners are checked: not on the apps\' HTTP port, not twice, only for declared backends', () => {
  const backends = [...base.backends, { name: 'port-9000', slotsPerColor: 4 }];
  assert.throws(() => renderHaproxyConfig({ ...base, backends, listeners: [{ port: 8080, mode: 'http', backend: 'port-9000' }] }), /port 8080 has two listeners \(or is the apps' HTTP port\)/);
  assert.throws(
    () => renderHaproxyConfig({ ...base, backends, listeners: [{ port: 9000, mode: 'http', backend: 'port-9000' }, { port: 9000, mode: 'tcp', backend: 'port-9000' }] }),
    /port 9000 has two listeners/,
  );
  assert.throws(() => renderHaproxyConfig({ ...base, listeners: [{ port: 9000, mode: 'http', backend: 'port-9000' }] }), /no backend port-9000/);
});

test('HAProxy itself accepts a config with tcp and http listeners, the access log and the registry door (haproxy -c)', async () => {
  const { execFile } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/slipway-hcfg-`);
  try {
    writeFileSync(`${dir}/hosts.map`, '');
    const cfg = renderHaproxyConfig({
      httpPort: 18080,
      adminSocket: `${dir}/admin.sock`,
      mapFile: `${dir}/hosts.map`,
      accessLogPort: 19999,
      backends: [{ name: 'shop_web', slotsPerColor: 4 }, { name: 'port-15432', slotsPerColor: 4, mode: 'tcp' }, { name: 'port-18081', slotsPerColor: 4 }],
      listeners: [
        { port: 15432, mode: 'tcp', backend: 'port-15432' },
        { port: 18081, mode: 'http', backend: 'port-18081' },
      ],
      cluster: { probeSocket: `${dir}/probe.sock`, registry: { bind: '127.0.0.1', port: 15999, target: '127.0.0.1:5000' } },
    });
    writeFileSync(`${dir}/haproxy.cfg`, cfg);
    const out = await new Promise<string>((resolve) => execFile('haproxy', ['-c', '-f', `${dir}/haproxy.cfg`], (e, stdout, stderr) => resolve(e ? `FAILED ${stderr}` : 'valid')));
    assert.equal(out, 'valid');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
