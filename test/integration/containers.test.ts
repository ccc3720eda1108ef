// Running an app's containers on the real Docker Engine and deciding when they are healthy: the
// app network and volumes, web replicas checked by port, app.json HTTP checks and Docker's
// HEALTHCHECK, crashes reported with their exit code and logs, one-offs, labels, leftovers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import type { HealthCheck, ServiceSpec } from '../../src/domain.js';
import { withinStep } from '../../src/deadline.js';
import { UserError } from '../../src/errors.js';
import { Containers } from '../../src/docker/containers.js';
import { Networks } from '../../src/docker/networks.js';
import { pullImage } from '../../src/registry/push.js';
import {
  appNetworkName,
  containerCreateOptions,
  containerName,
  oneOffCreateOptions,
  volumeName,
  type Color,
} from '../../src/deploy/container-spec.js';
import { waitHealthy } from '../../src/deploy/health.js';
import { uniqueName } from '../helpers/server.js';
import { serviceSpec } from '../helpers/specs.js';

const docker = new Dockerode({ socketPath: process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock' });
const containers = new Containers(docker);
const networks = new Networks(docker);
const app = `ct-${process.pid}-${Date.now().toString(36)}`;
const NODE = 'node:18-slim';
const DEBIAN = 'debian:bookworm-slim';
const release = { version: 3, imageRef: NODE, config: { GREETING: 'hello' } };
const quiet = () => {};

// A web process as users write it: listens on $PORT, a /health route, a file on its volume.
const SERVER = `
const fs = require('fs'), http = require('http');
if (fs.existsSync('/data')) fs.writeFileSync('/data/marker', process.env.SLIPWAY_CONTAINER);
http.createServer((req, res) => {
  if (req.url === '/health') return res.end(process.env.HEALTH_BODY || 'status: ready');
  if (req.url === '/marker') return res.end(fs.readFileSync('/data/marker'));
  res.end(process.env.GREETING + ' from ' + process.env.SLIPWAY_CONTAINER);
}).listen(+process.env.PORT, () => console.log('listening on ' + process.env.PORT));
`;

function web(over: Partial<ServiceSpec> = {}): ServiceSpec {
  return serviceSpec({
    command: ['node', '-e', SERVER],
    volumes: [{ source: 'data', target: '/data', readOnly: false, bind: false }],
    restart: 'no',
    stopGraceSeconds: 1,
    ...over,
  });
}

async function run(service: ServiceSpec, color: Color | null = 'blue', index = 1, version = release.version) {
  return containers.runContainer(containerCreateOptions({ app, release: { ...release, version }, service, color, index }));
}

const wait = (c: { id: string; ip: string; name: string }, health: HealthCheck, port?: number) =>
  waitHealthy({ ...c, port }, health, containers, { timeoutSeconds: 60, progress: quiet });

async function rejectsUser(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected the health wait to fail');
}

before(async () => {
  for (const image of [NODE, DEBIAN]) await pullImage(docker, image, quiet);
  await networks.ensureNetwork(appNetworkName(app), { 'slipway.app': app });
  await networks.ensureVolume(volumeName(app, 'data'), { 'slipway.app': app });
});

after(async () => {
  for (const c of await containers.listContainers({ app, all: true })) await containers.removeContainer(c.id);
  await networks.removeNetwork(appNetworkName(app));
  await networks.removeVolumes(app);
  const left = await docker.listVolumes({ filters: { label: [`slipway.app=${app}`] } });
  assert.equal(left.Volumes?.length ?? 0, 0, 'volumes left behind');
});

test('network and volume creation is idempotent', async () => {
  await networks.ensureNetwork(appNetworkName(app));
  await networks.ensureVolume(volumeName(app, 'data'));
  const nets = await docker.listNetworks({ filters: { name: [appNetworkName(app)] } });
  assert.equal(nets.filter((n) => n.Name === appNetworkName(app)).length, 1);
});

test('a web container becomes healthy by port and by an app.json check; it serves on the app network with its volume', async () => {
  const c = await run(web());
  assert.equal(c.name, containerName(app, 'web', 'blue', 1));
  assert.match(c.ip, /^\d+\.\d+\.\d+\.\d+$/);
  await wait(c, { kind: 'port' }, 3000);
  await wait(c, { kind: 'http', checks: [{ path: '/health', content: 'ready', attempts: 5, timeout: 5, wait: 1, initialDelay: 0 }] }, 3000);
  assert.equal(await (await fetch(`http://${c.ip}:3000/`)).text(), 'hello from web.1');
  assert.equal(await (await fetch(`http://${c.ip}:3000/marker`)).text(), 'web.1');
  const info = await docker.getContainer(c.id).inspect();
  assert.ok(info.Mounts.some((m) => m.Name === volumeName(app, 'data') && m.Destination === '/data'));
  assert.equal(info.HostConfig.LogConfig?.Config['max-size'], '10m');

  // Other services (here a one-off) reach it by its service name, as with compose.
  const lines: string[] = [];
  const script = `require('http').get('http://web:3000/', (r) => { r.on('data', (d) => console.log('got: ' + d)); })`;
  const r = await containers.runOneOff(oneOffCreateOptions({ app, release, command: `node -e "${script}"`, kind: 'run', suffix: 'alias' }), (l) => lines.push(l));
  assert.equal(r.exitCode, 0, r.output);
  assert.deepEqual(lines, ['got: hello from web.1']);
});

test('a failing http check names the check and shows the body it got', async () => {
  const c = await run(web({ environment: { HEALTH_BODY: 'still migrating' } }), 'green');
  const progress: string[] = [];
  const check = { path: '/health', content: 'ready', attempts: 2, timeout: 5, wait: 0.5, initialDelay: 1 };
  const message = await rejectsUser(
    waitHealthy({ ...c, port: 3000 }, { kind: 'http', checks: [check] }, containers, { timeoutSeconds: 60, progress: (l) => progress.push(l) }),
  );
  assert.match(message, /health check GET \/health \(expecting "ready"\) failed 2 of 2 attempts/);
  assert.match(message, /body "still migrating"/);
  assert.match(message, /\| listening on 3000/);
  assert.equal(progress.length, 2);
  await containers.removeContainer(c.id);
});

test('a container that exits at once fails its health wait with the exit code and its last log line', async () => {
  const crash = web({ name: 'crash', command: ['sh', '-c', 'echo booting; echo "fatal: DATABASE_URL is not set" >&2; exit 4'], volumes: [] });
  const c = await run(crash);
  const message = await rejectsUser(wait(c, { kind: 'port' }, 3000));
  assert.match(message, new RegExp(`${c.name} exited with code 4 before it was healthy`));
  assert.match(message, /\| fatal: DATABASE_URL is not set/);
  await containers.removeContainer(c.id);
});

test("Docker's HEALTHCHECK decides for compose healthchecks: healthy, or unhealthy with its output", async () => {
  const base = { name: 'db', role: 'worker' as const, image: DEBIAN, port: undefined, volumes: [] };
  const ok = await run(
    web({ ...base, command: ['sh', '-c', 'sleep 1; touch /tmp/ready; exec sleep 600'], health: { kind: 'docker', test: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 1, timeout: 2, retries: 3, startPeriod: 0 } }),
    null,
  );
  await wait(ok, (await containerHealth(ok.id)) ?? assert.fail('no healthcheck'));
  // What the wait waited for: Docker itself now calls it healthy, so the ready file exists.
  assert.equal((await docker.getContainer(ok.id).inspect()).State.Health?.Status, 'healthy');
  const bad = await run(
    web({ ...base, name: 'db2', command: ['sleep', '600'], health: { kind: 'docker', test: ['CMD-SHELL', 'echo db not reachable; exit 1'], interval: 1, timeout: 2, retries: 2, startPeriod: 0 } }),
    null,
  );
  const message = await rejectsUser(wait(bad, { kind: 'docker', test: [], interval: 1, timeout: 2, retries: 2, startPeriod: 0 }));
  assert.match(message, /is unhealthy/);
  assert.match(message, /exit 1: db not reachable/);
  const listed = await containers.listContainers({ app, service: 'db' });
  assert.equal(listed[0]?.health, 'healthy');
  await Promise.all([containers.removeContainer(ok.id), containers.removeContainer(bad.id)]);
});

/** The HealthCheck as the spec gave it, read back from the engine (seconds from nanoseconds). */
async function containerHealth(id: string): Promise<HealthCheck | undefined> {
  const h = (await docker.getContainer(id).inspect()).Config.Healthcheck;
  if (!h?.Test) return undefined;
  return { kind: 'docker', test: h.Test, interval: (h.Interval ?? 0) / 1e9, timeout: (h.Timeout ?? 0) / 1e9, retries: h.Retries ?? 0, startPeriod: (h.StartPeriod ?? 0) / 1e9 };
}

test('a one-off streams its output line by line and returns its exit code; it is removed afterwards', async () => {
  const lines: string[] = [];
  const spec = oneOffCreateOptions({ app, release, command: 'echo "migrating $GREETING"; echo warn >&2; sleep 0.3; echo done; exit 3', kind: 'release' });
  const r = await containers.runOneOff(spec, (l) => lines.push(l));
  assert.equal(r.exitCode, 3);
  assert.deepEqual(lines.filter((l) => l !== 'warn'), ['migrating hello', 'done']);
  assert.ok(lines.includes('warn'));
  assert.match(r.output, /migrating hello[\s\S]*done/);
  assert.equal((await containers.listContainers({ app, all: true })).filter((c) => c.name === spec.name).length, 0);
});

test('a one-off past its limit is killed and removed, and fails with the limit named', async () => {
  const spec = oneOffCreateOptions({ app, release, command: 'echo started; sleep 600', kind: 'release' });
  const lines: string[] = [];
  await assert.rejects(
    withinStep(undefined, 'the release command', 2, 'SLIPWAY_RELEASE_TIMEOUT', (signal) => containers.runOneOff(spec, (l) => lines.push(l), signal)),
    /the release command took longer than its limit of 2 s \(SLIPWAY_RELEASE_TIMEOUT\) and was stopped/,
  );
  assert.equal((await containers.listContainers({ app, all: true })).filter((c) => c.name === spec.name).length, 0, 'the one-off is gone');
});

test('containers are found by their labels', async () => {
  const w1 = await run(web({ name: 'lweb', volumes: [] }), 'blue', 1);
  const w2 = await run(web({ name: 'lweb', volumes: [] }), 'green', 1, 4);
  const wk = await run(web({ name: 'lworker', role: 'worker', command: ['sleep', '600'], image: DEBIAN, volumes: [], port: undefined, health: { kind: 'none' } }), null, 1, 4);
  await wait(wk, { kind: 'none' });
  assert.equal((await docker.getContainer(wk.id).inspect()).State.Status, 'running');
  const names = (cs: { name: string }[]) => cs.map((c) => c.name).sort();
  assert.deepEqual(names(await containers.listContainers({ app, service: 'lweb' })), [w1.name, w2.name].sort());
  assert.deepEqual(names(await containers.listContainers({ app, service: 'lweb', color: 'green' })), [w2.name]);
  assert.deepEqual(names(await containers.listContainers({ app, release: 4 })), [w2.name, wk.name].sort());
  const [worker] = await containers.listContainers({ app, service: 'lworker' });
  assert.ok(worker!.createdAt > 0);
  assert.deepEqual({ ...worker, id: '', createdAt: 0 }, { id: '', name: `slipway_${app}_lworker_v4_1`, app, service: 'lworker', release: 4, color: null, kind: 'worker', state: 'running', ip: wk.ip, createdAt: 0 });
  assert.equal(await containers.containerIp(w1.id, appNetworkName(app)), w1.ip);
  await containers.stopContainer(wk.id, 1);
  assert.equal((await containers.listContainers({ app, service: 'lworker' })).length, 0);
  assert.equal((await containers.listContainers({ app, service: 'lworker', all: true }))[0]?.state, 'exited');
  await containers.stopContainer(wk.id, 1); // already stopped: no error
  for (const c of [w1, w2, wk]) await containers.removeContainer(c.id);
  await containers.removeContainer(wk.id); // already gone: no error
});

test('a leftover container of the same name (from a crashed deploy) is replaced', async () => {
  const name = containerName(app, 'web', 'blue', 2);
  const stale = await docker.createContainer({ name, Image: DEBIAN, Cmd: ['sleep', '600'], Labels: { 'slipway.app': app } });
  await stale.start();
  const c = await run(web({ volumes: [] }), 'blue', 2);
  assert.equal(c.name, name);
  assert.notEqual(c.id, stale.id);
  await assert.rejects(stale.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  await wait(c, { kind: 'port' }, 3000);
  assert.equal(await (await fetch(`http://${c.ip}:3000/`)).text(), 'hello from web.2');
  await containers.removeContainer(c.id);
});

test('a container of the same name labelled as another app\'s (or no app\'s) is never removed; the run fails saying whose it is', async () => {
  const name = containerName(app, 'web', 'blue', 3);
  const other = uniqueName('other');
  for (const labels of [{ 'slipway.app': other }, {}] as Record<string, string>[]) {
    const theirs = await docker.createContainer({ name, Image: DEBIAN, Cmd: ['sleep', '600'], Labels: labels });
    try {
      await assert.rejects(run(web({ volumes: [] }), 'blue', 3), (e: unknown) => e instanceof UserError && /left alone/.test(e.message) && e.message.includes(labels['slipway.app'] ?? 'not made by Slipway'));
      assert.equal((await theirs.inspect()).Id, theirs.id);
    } finally {
      await theirs.remove({ force: true });
    }
  }
});

test('a volume labelled as another app\'s is never shared: ensureVolume refuses it', async () => {
  const other = uniqueName('other');
  const name = volumeName(app, 'taken');
  await docker.createVolume({ Name: name, Labels: { 'slipway.app': other } });
  try {
    await assert.rejects(networks.ensureVolume(name, { 'slipway.app': app }), (e: unknown) => e instanceof UserError && e.message.includes(`belongs to app ${other}`));
  } finally {
    await docker.getVolume(name).remove();
  }
});
