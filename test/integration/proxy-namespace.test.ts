// Swarm mode's proxy path without a swarm: HAProxy on the host reaches servers that exist only
// inside another network namespace (as task addresses exist only in the edge container's), the
// probe socket relays Slipway's health checks there, and the registry door forwards TCP.
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
