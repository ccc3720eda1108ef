// Swarm mode's proxy path without a swarm: HAProxy on the host reaches servers that exist only
// inside another network namespace (as task addresses exist only in the edge container's), the
// probe socket relays Slipway's health checks there, and the registry door serves pulls only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/log.js';
import { Proxy } from '../../src/proxy/haproxy.js';
import { probeConnector } from '../../src/proxy/probe.js';
import { httpGetVia } from '../../src/deploy/health.js';
import { getViaProxy } from '../helpers/http.js';
import { REGISTRY_DOOR_REFUSAL } from '../../src/proxy/registry-door.js';
import { freePort } from '../helpers/server.js';
import { swarmUnavailable } from '../helpers/swarm.js';

const run = promisify(execFile);
const skip = swarmUnavailable() ?? false;
const ns = `pns${Math.random().toString(36).slice(2, 7)}`;
const addr = `10.233.${1 + Math.floor(Math.random() * 250)}.2`;
let server: ChildProcess | undefined;
let dir = '';

before(async () => {
  if (skip) return;
  await run('ip', ['netns', 'add', ns]);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', ns, 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
  // An app that exists only in the namespace, answering its address.
  const code = `require('http').createServer((q,s)=>s.end('inside '+q.url)).listen(8080, '${addr}', () => console.log('up'))`;
  server = spawn('nsenter', [`--net=/var/run/netns/${ns}`, '--', process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => server!.stdout!.once('data', () => resolve()));
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-pns-'));
});
after(async () => {
  server?.kill('SIGKILL');
  if (!skip) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('in swarm mode servers are reached inside the namespace; probes relay there; the registry door forwards', { skip }, async () => {
  const port = await freePort();
  const doorPort = await freePort();
  const target = http.createServer((_q, s) => s.end('registry'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const proxy = new Proxy({ haproxyBin: 'haproxy', dir, httpPort: port, bindAddress: '127.0.0.1', logger: silentLogger() });
  try {
    await proxy.start();
    await proxy.declareBackends([{ name: 'demo_web', slotsPerColor: 4 }]);
    await proxy.route('demo.localhost', 'demo_web');
    const registry = { bind: '127.0.0.1', port: doorPort, target: `127.0.0.1:${(target.address() as net.AddressInfo).port}` };
    assert.deepEqual(await proxy.setCluster({ namespace: ns, registry }), { reloaded: true });
    await proxy.switchColor('demo_web', 'blue', [{ addr, port: 8080 }]);
    assert.deepEqual(await getViaProxy(port, 'demo.localhost', '/x'), { status: 200, body: 'inside /x' });

    const get = httpGetVia(probeConnector(proxy.paths.probeSocket));
    assert.deepEqual(await get(`http://${addr}:8080/health`, 5000), { status: 200, body: 'inside /health' });
    await assert.rejects(get(`http://${addr}:8081/`, 5000), 'nothing listens there: the probe fails as a direct connection would');

    const door = await new Promise<string>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: doorPort, path: '/v2/' }, (r) => r.setEncoding('utf8').on('data', resolve)).on('error', reject),
    );
    assert.equal(door, 'registry');

    // Back to one host: one reload, servers without the namespace.
    assert.deepEqual(await proxy.setCluster(null), { reloaded: true });
  } finally {
    await proxy.stop();
    target.close();
  }
});

/** One request through the door (or straight to the registry); status, headers and body. */
function request(port: number, method: string, p: string, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: { accept: MANIFEST_TYPES } }, (r) => {
      let text = '';
      r.setEncoding('utf8').on('data', (c: string) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const MANIFEST_TYPES = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json';

test('the registry door lets the cluster network pull by digest and refuses every push and delete (405)', async () => {
  // The machine's registry (seeded with the base images), as Slipway's door serves it.
  const registryPort = 5000;
  const tag = await request(registryPort, 'HEAD', '/v2/library/debian/manifests/bookworm-slim');
  assert.equal(tag.status, 200, 'the base image debian:bookworm-slim is seeded in the registry');
  const digest = String(tag.headers['docker-content-digest']);
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  const manifest = `/v2/library/debian/manifests/${digest}`;
  const doorPort = await freePort();
  const own = await mkdtemp(path.join(os.tmpdir(), 'slipway-door-'));
  const proxy = new Proxy({ haproxyBin: 'haproxy', dir: own, httpPort: await freePort(), bindAddress: '127.0.0.1', logger: silentLogger() });
  try {
    await proxy.start();
    await proxy.setCluster({ registry: { bind: '127.0.0.1', port: doorPort, target: `127.0.0.1:${registryPort}` } });

    // A pull: the API root, the manifest by digest (GET and HEAD), a blob it names.
    assert.equal((await request(doorPort, 'GET', '/v2/')).status, 200);
    const got = await request(doorPort, 'GET', manifest);
    assert.equal(got.status, 200, got.body);
    assert.equal(got.headers['docker-content-digest'], digest);
    assert.equal((await request(doorPort, 'HEAD', manifest)).status, 200);
    const layer = (JSON.parse(got.body) as { layers?: { digest: string }[]; config?: { digest: string } }).config?.digest;
    if (layer) assert.equal((await request(doorPort, 'HEAD', `/v2/library/debian/blobs/${layer}`)).status, 200);

    // A push (upload start, manifest put), a delete, and the rest: refused at the door.
    for (const [method, p, body] of [
      ['POST', '/v2/library/debian/blobs/uploads/', ''],
      ['PUT', '/v2/library/debian/manifests/evil', '{"schemaVersion":2}'],
      ['PATCH', '/v2/library/debian/blobs/uploads/x', 'bytes'],
      ['DELETE', manifest, undefined],
      ['DELETE', `/v2/library/debian/blobs/${layer ?? digest}`, undefined],
      ['OPTIONS', '/v2/', undefined],
    ] as const) {
      const r = await request(doorPort, method, p, body);
      assert.equal(r.status, 405, `${method} ${p}`);
      assert.equal(r.headers.allow, 'GET, HEAD');
      assert.equal(r.body, REGISTRY_DOOR_REFUSAL);
    }
    // Nothing reached the registry: the manifest is still served.
    assert.equal((await request(registryPort, 'HEAD', manifest)).status, 200);
  } finally {
    await proxy.stop();
    await rm(own, { recursive: true, force: true });
  }
});
