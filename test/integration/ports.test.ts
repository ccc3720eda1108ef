// The ports plugin on real HAProxy and Docker: a Dockerfile app reachable on extra host ports
// (http and tcp) through ports:add, moved blue-green by the next push, a host port held by
// another app refused naming it, and SLIPWAY_EXPOSE_PORTS mapping EXPOSEd TCP ports.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { freePort, ROOT, startTestServer, type TestServer } from '../helpers/server.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/apps/ports-app');
const servers: TestServer[] = [];

after(async () => {
  for (const s of servers) await s.stop();
});

async function server(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}

const createApp = (s: TestServer, prefix: string) => s.createApp(prefix);

const push = (s: TestServer, repo: Repo, app: string) => repo.push(pushUrl(s.url, s.token, app));

/** GET on a host port with no Host routing: what ports:add http serves. */
const httpOn = (port: number) => getViaProxy(port, 'anything.example', '/', false, 5000);

/** Connects to a host port and reads what the server says before closing. */
function tcpOn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = net.connect({ port, host: '127.0.0.1' }, () => undefined);
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (c) => (data += c.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('a Dockerfile app is reachable on extra ports via ports:add (http and tcp), blue-green across a push', async () => {
  const s = await server();
  const app = await createApp(s, 'ports');
  const other = await createApp(s, 'holder');
  const repo = await repoFrom(FIXTURE);
  await repo.commit('one');
  const first = await push(s, repo, app);
  assert.equal(first.code, 0, first.output);
  assert.equal((await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body, 'web one\n');

  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  const added = await s.cli(['ports:add', app, `http:${httpPort}:6000`, `tcp:${tcpPort}:7000`]);
  assert.equal(added.code, 0, added.stdout + added.stderr);
  assert.equal((await httpOn(httpPort)).body, 'admin one\n');
  assert.equal(await tcpOn(tcpPort), 'tcp one\n');
  const listed = await s.cli(['ports', app]);
  assert.match(listed.stdout, new RegExp(`http:${httpPort}:6000\\s+http\\s+${httpPort}\\s+6000\\s+user`));
  assert.match(listed.stdout, new RegExp(`tcp:${tcpPort}:7000\\s+tcp`));

  // Another app cannot take the port; the message names who holds it.
  const taken = await s.cli(['ports:add', other, `http:${httpPort}:5000`]);
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, new RegExp(`host port ${httpPort} is held by app ${app} \\(http:${httpPort}:6000\\)`));
  const own = await s.cli(['ports:add', other, `http:${s.config.httpPort}:5000`]);
  assert.match(own.stderr, /is Slipway's HTTP port for apps/);

  // The next release takes the extra ports over with the main route.
  await repo.commit('two', { VERSION: 'two\n' });
  const second = await push(s, repo, app);
  assert.equal(second.code, 0, second.output);
  assert.equal((await httpOn(httpPort)).body, 'admin two\n');
  assert.equal(await tcpOn(tcpPort), 'tcp two\n');

  // ports:remove stops the listener; the main route is untouched.
  assert.equal((await s.cli(['ports:remove', app, String(httpPort)])).code, 0);
  await assert.rejects(httpOn(httpPort), /ECONNREFUSED|socket hang up|ECONNRESET/);
  assert.equal(await tcpOn(tcpPort), 'tcp two\n');
  assert.equal((await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body, 'web two\n');
});

test('SLIPWAY_EXPOSE_PORTS=1 maps a Dockerfile app\'s EXPOSEd TCP ports to the same host ports; udp is listed and skipped', async () => {
  const s = await server({ exposePorts: true });
  const app = await createApp(s, 'expose');
  const [web, admin, tcp] = (await Promise.all([freePort(), freePort(), freePort()])).sort((a, b) => a - b);
  const set = await s.cli(['config:set', app, `WEB_PORT=${web}`, `ADMIN_PORT=${admin}`, `TCP_PORT=${tcp}`]);
  assert.equal(set.code, 0, set.stderr);
  const repo = await repoFrom(FIXTURE);
  await repo.commit('one');
  const pushed = await push(s, repo, app);
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /EXPOSE 5353\/udp: skipped — only TCP ports can be mapped/);
  assert.match(pushed.output, new RegExp(`Ports from EXPOSE \\(SLIPWAY_EXPOSE_PORTS\\): tcp:${web}:${web}, tcp:${admin}:${admin}, tcp:${tcp}:${tcp}`));
  assert.equal((await httpOn(web)).body, 'web one\n');
  assert.equal((await httpOn(admin)).body, 'admin one\n');
  assert.equal(await tcpOn(tcp), 'tcp one\n');
  const listed = JSON.parse((await s.cli(['ports', app, '--json'])).stdout) as { source: string }[];
  assert.deepEqual(listed.map((m) => m.source), ['expose', 'expose', 'expose']);
});
