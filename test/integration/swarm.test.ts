// Slipway on a real 3-node Docker Swarm (test/helpers/swarm.ts), driven the way a user does:
// cluster:init, nodes:add on the other machines, git push of a compose app (web ×3 + worker)
// that spreads over the nodes, redeploy and rollback under keep-alive load with no failed
// request, logs of every node's tasks, a node drained, and a node's engine killed mid-deploy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createDocker } from '../../src/docker/client.js';
import { parseServersState } from '../../src/proxy/commands.js';
import { sendCommand } from '../../src/proxy/runtime-api.js';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { getViaProxy, trafficDuring } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';
import { slipwayTestImage } from '../helpers/slipway-image.js';
import { startSwarmHarness, swarmUnavailable, type SwarmHarness } from '../helpers/swarm.js';

const skip = swarmUnavailable() ?? false;
let h: SwarmHarness;
let s: TestServer;
let app: string;
let repo: Repo;
const t0 = Date.now();
const mark = (what: string) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(0)} s: ${what}`);

interface PsRow { service: string; name: string; color: string | null; release: string; state: string; node: string; ip: string }
interface NodeRow { id: string; hostname: string; state: string; availability: string; containers: string[] }

const host = () => `${app}.${s.config.appsDomain}`;
const ps = async () => (await (await s.api(`/api/apps/${app}/ps`)).json()) as PsRow[];
const nodes = async () => (await (await s.api('/api/cluster/nodes')).json()) as NodeRow[];
const push = () => repo.push(pushUrl(s.url, s.token, app));

export async function eventually(what: string, check: () => Promise<boolean>, seconds = 120): Promise<void> {
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) if (await check().catch(() => false)) return;
  assert.fail(`never happened within ${seconds} s: ${what}`);
}

/** Which containers answered `n` requests through HAProxy (their hostnames), and with what. */
async function answers(n = 30): Promise<{ bodies: string[]; hosts: Set<string> }> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) bodies.push((await getViaProxy(s.config.httpPort, host())).body.trim());
  return { bodies, hosts: new Set(bodies.map((b) => b.split(' ')[1]!)) };
}

before(async () => {
  if (skip) return;
  h = await startSwarmHarness({ nodes: 3, mirrorPort: 5000 });
  mark('3 nodes up');
  const image = await slipwayTestImage(createDocker({ dockerSocket: '/var/run/docker.sock' }));
  mark(`Slipway's image ${image}`);
  s = await startTestServer({
    clusterSocket: h.nodes[0]!.socket,
    clusterAddr: h.hostAddr,
    agentImage: image,
    drainSeconds: 30,
    healthTimeoutSeconds: 180,
  });
  app = uniqueName('sw');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/swarm-app'));
  await repo.commit('v1');
});

after(async () => {
  if (skip) return;
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop().catch(() => undefined);
  await h?.stop();
});

test('cluster:init makes the first node a manager; nodes:add prints the join line the others run', { skip }, async () => {
  const init = await s.cli(['cluster:init', '--advertise-addr', h.nodes[0]!.addr]);
  assert.equal(init.code, 0, init.stdout + init.stderr);
  assert.match(init.stdout, /Making this engine a swarm manager/);
  assert.match(init.stdout, new RegExp(`Serving the registry to the nodes at ${h.hostAddr.replace(/\./g, '\\.')}:5000`));
  assert.match(init.stdout, /Swarm mode on/);
  mark('cluster:init');

  const add = await s.cli(['nodes:add']);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, new RegExp(`"insecure-registries":\\["${h.hostAddr.replace(/\./g, '\\.')}:5000"\\]`));
  const join = /docker (swarm join --token \S+ \S+)/.exec(add.stdout);
  assert.ok(join, add.stdout);
  for (const i of [1, 2]) await h.docker(i, join[1]!.split(' '));
  // Faster detection of a lost node for the node-loss test (default 5 s heartbeats).
  await h.docker(0, ['swarm', 'update', '--dispatcher-heartbeat', '2s']);

  const listed = await s.cli(['nodes']);
  assert.equal(listed.code, 0, listed.stderr);
  for (const n of h.nodes) assert.match(listed.stdout, new RegExp(n.name));
  assert.deepEqual((await nodes()).map((n) => n.state), ['ready', 'ready', 'ready']);
});

test('a compose app with web ×3 and a worker spreads over the nodes; placement, resources and restart policy are Swarm\'s', { skip }, async () => {
  const pushed = await push();
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /v1: web blue 3\/3 healthy/);
  mark('first deploy');
  const rows = await ps();
  const web = rows.filter((r) => r.service === 'web');
  assert.equal(web.length, 3);
  assert.equal(new Set(web.map((r) => r.node)).size, 3, `web on three nodes: ${JSON.stringify(web)}`);
  const worker = rows.filter((r) => r.service === 'worker');
  assert.equal(worker.length, 1);
  assert.notEqual(worker[0]!.node, h.nodes[0]!.name, 'the worker is pinned to worker nodes (node.role==worker)');

  const { hosts, bodies } = await answers();
  assert.equal(hosts.size, 3, `HAProxy balances over the three tasks: ${bodies.join('; ')}`);
  assert.ok(bodies.every((b) => b.startsWith('v1 ')));

  const spec = JSON.parse(await h.docker(0, ['service', 'inspect', `slipway_${app}_web_blue`])) as [{ Spec: { TaskTemplate: Record<string, any>; EndpointSpec: { Mode: string } } }];
  const t = spec[0].Spec.TaskTemplate;
  assert.equal(spec[0].Spec.EndpointSpec.Mode, 'dnsrr');
  assert.equal(t.Resources.Limits.MemoryBytes, 128 * 1024 * 1024);
  assert.equal(t.Resources.Reservations.MemoryBytes, 16 * 1024 * 1024);
  assert.deepEqual([t.RestartPolicy.Condition, t.RestartPolicy.Delay], ['any', 1e9]);
  assert.match(t.ContainerSpec.Image, new RegExp(`^${h.hostAddr.replace(/\./g, '\\.')}:5000/${app}@sha256:`), 'pulled by digest from the registry door');
  const w = JSON.parse(await h.docker(0, ['service', 'inspect', `slipway_${app}_worker_v1`])) as [{ Spec: { TaskTemplate: Record<string, any> } }];
  assert.deepEqual(w[0].Spec.TaskTemplate.Placement.Constraints, ['node.role==worker']);
  assert.deepEqual([w[0].Spec.TaskTemplate.RestartPolicy.Condition, w[0].Spec.TaskTemplate.RestartPolicy.MaxAttempts], ['on-failure', 5]);
});

test('a redeploy and a rollback under keep-alive load fail no request', { skip }, async () => {
  await repo.commit('v2', { 'VERSION': '2\n' });
  const redeploy = await trafficDuring(s.config.httpPort, host(), push, 8);
  assert.equal(redeploy.result.code, 0, redeploy.result.output);
  assert.match(redeploy.result.output, /v2: web switched to green/);
  assert.deepEqual(redeploy.traffic.failures, [], `${redeploy.traffic.failures.length} of ${redeploy.traffic.total} failed`);
  assert.ok(redeploy.traffic.bodies.some((b) => b.startsWith('v2 ')));
  mark(`redeploy under load: ${redeploy.traffic.total} requests, 0 failed`);

  const rollback = await trafficDuring(s.config.httpPort, host(), () => s.cli(['rollback', app, 'v1']), 8);
  assert.equal(rollback.result.code, 0, rollback.result.stdout + rollback.result.stderr);
  assert.deepEqual(rollback.traffic.failures, [], `${rollback.traffic.failures.length} of ${rollback.traffic.total} failed`);
  mark(`rollback under load: ${rollback.traffic.total} requests, 0 failed`);
  const { bodies } = await answers(10);
  assert.ok(bodies.every((b) => b.startsWith('v3 ')), bodies.join('; '));
  const services = (await h.docker(0, ['service', 'ls', '--format', '{{.Name}}'])).split('\n').filter((n) => n.includes(app)).sort();
  assert.deepEqual(services, [`slipway_${app}_web_blue`, `slipway_${app}_worker_v3`], 'the old color and worker are gone');
});

/** The addresses HAProxy sends the app's traffic to now. */
async function readyServers(): Promise<string[]> {
  const state = await sendCommand(path.join(s.dataDir, 'haproxy/admin.sock'), `show servers state ${app}_web`);
  return parseServersState(state).filter((x) => x.state === 'ready').map((x) => x.addr).sort();
}

interface LogRow { service: string; container: string; stream: string; line: string }
const logs = async (q: string) => (await (await s.api(`/api/apps/${app}/logs?n=10000&${q}`)).json()) as LogRow[];

/** Tick numbers a worker container wrote, as stored, from stdout or its log file. */
const ticks = (rows: LogRow[], container: string, stream: string) =>
  rows.filter((r) => r.container === container && r.stream === stream).map((r) => Number(/tick (\d+)$/.exec(r.line)?.[1]));

test('logs of the tasks on every node reach slipway logs; none lost or repeated across a restart of Slipway and of an agent', { skip }, async () => {
  const rows = await ps();
  const web = rows.filter((r) => r.service === 'web');
  await eventually('each web task\'s start line, from each node, is in slipway logs', async () => {
    const lines = await logs('service=web&grep=started%20on');
    return web.every((r) => lines.some((l) => l.container.startsWith(`${r.name}.`)));
  });
  const worker = rows.find((r) => r.service === 'worker')!;
  let container = '';
  await eventually('the worker\'s stdout and its log file (on a worker node) are shipped', async () => {
    const lines = await logs('service=worker');
    container = lines.find((l) => l.container.startsWith(`${worker.name}.`))?.container ?? '';
    return !!container && ticks(lines, container, 'file:/app/log/worker.log').length > 2;
  });
  mark(`logs from every node (worker on ${worker.node})`);

  // Slipway restarts: the agents hold their lines and send them again once it is back.
  const { dataDir, queuePrefix, httpPort } = s.config;
  await s.close();
  await new Promise((r) => setTimeout(r, 3000));
  s = await startTestServer({ dataDir, queuePrefix, httpPort, clusterSocket: h.nodes[0]!.socket, clusterAddr: h.hostAddr, agentImage: s.config.agentImage, drainSeconds: 30, healthTimeoutSeconds: 180 });
  // The worker node's agent is killed; Swarm starts a new one, which resumes from the checkpoints.
  const node = h.nodes.find((n) => n.name === worker.node)!;
  const agent = (await h.docker(node.index, ['ps', '-q', '--filter', 'label=slipway.agent'])).trim();
  assert.ok(agent, 'an agent runs on the worker node');
  await h.docker(node.index, ['rm', '-f', agent]);
  const before = Math.max(...ticks(await logs('service=worker'), container, 'stdout'));
  await eventually('the worker\'s lines keep coming', async () => Math.max(...ticks(await logs('service=worker'), container, 'stdout')) > before + 10);

  const lines = await logs('service=worker');
  for (const stream of ['stdout', 'file:/app/log/worker.log']) {
    const got = ticks(lines, container, stream);
    const want = Array.from({ length: Math.max(...got) }, (_, i) => i + 1);
    assert.deepEqual(got, want, `${stream}: every tick once, in order (${got.length} lines)`);
  }
  mark('no line lost or repeated across the restarts');
});

test('a node is drained: its containers move off blue-green, with no failed request', { skip }, async () => {
  const victim = h.nodes[1]!;
  const drained = await trafficDuring(s.config.httpPort, host(), () => s.cli(['nodes:drain', victim.name]), 8);
  assert.equal(drained.result.code, 0, drained.result.stdout + drained.result.stderr);
  assert.match(drained.result.stdout, new RegExp(`Moving ${app} off ${victim.name}`));
  assert.match(drained.result.stdout, /is drained/);
  assert.deepEqual(drained.traffic.failures, [], `${drained.traffic.failures.length} of ${drained.traffic.total} failed`);
  const rows = await ps();
  assert.ok(rows.length >= 4 && rows.every((r) => r.node !== victim.name), JSON.stringify(rows));
  const n = (await nodes()).find((x) => x.hostname === victim.name)!;
  assert.equal(n.availability, 'drain');
  assert.deepEqual(n.containers, []);
  mark(`drain under load: ${drained.traffic.total} requests, 0 failed`);
  // Back in service for the node-loss test.
  await h.docker(0, ['node', 'update', '--availability', 'active', n.id]);
});

test("a node's engine killed mid-deploy: the deploy ends on the other nodes (or fails cleanly) and the app serves from them", { skip }, async () => {
  // The node drained above runs nothing now, so the new color's tasks go there first.
  const victim = h.nodes[1]!;
  const serving = (await ps()).find((r) => r.service === 'web')!.color;
  const next = serving === 'blue' ? 'green' : 'blue';
  await repo.commit('v-lost', { VERSION: 'lost\n' });
  const pushing = push();
  // Once a task of the new color is placed on the victim, its engine dies.
  await eventually(`a ${next} task on ${victim.name}`, async () => (await ps()).some((r) => r.service === 'web' && r.color === next && r.node === victim.name), 300);
  h.killNode(victim.index);
  mark(`killed the engine of ${victim.name}`);
  const pushed = await pushing;
  for (const l of pushed.output.split('\n').filter((l) => /moved|healthy|switched|failed|Deployed/.test(l))) mark(l.replace(/^remote:\s*/, '').trim());
  // HAProxy's ready servers are exactly the running tasks, none on the lost node (whose
  // containers may live on without their engine: HAProxy follows Swarm, not them).
  await eventually('the app serves from the remaining nodes only', async () => {
    const rows = (await ps()).filter((r) => r.service === 'web' && r.state === 'running');
    const ok = rows.length === 3 && rows.every((r) => r.node !== victim.name);
    return ok && JSON.stringify(await readyServers()) === JSON.stringify(rows.map((r) => r.ip).sort());
  }, 300);
  const { bodies } = await answers(12);
  const release = pushed.code === 0 ? /Deployed (v\d+)/.exec(pushed.output)![1]! : 'v' + String((await ps()).find((r) => r.service === 'web')!.release).replace(/^v/, '');
  assert.ok(bodies.every((b) => b.startsWith(`${release} `)), `every answer from the release that serves (${release}): ${bodies.join('; ')}`);
  mark(`after the node loss the push ${pushed.code === 0 ? 'completed' : 'failed cleanly'}; serving ${release}`);
});

test('a node lost while the app serves: Swarm starts its tasks elsewhere and HAProxy follows them', { skip }, async () => {
  const rows = (await ps()).filter((r) => r.service === 'web');
  const victim = h.nodes.find((n) => n.index > 0 && rows.some((r) => r.node === n.name) && n !== h.nodes[1])!;
  assert.ok(victim, `a live worker node serves the app: ${JSON.stringify(rows)}`);
  const before = await readyServers();
  h.killNode(victim.index);
  mark(`killed the engine of ${victim.name}, which served ${rows.filter((r) => r.node === victim.name).length} web task(s)`);
  await eventually('HAProxy sends to the running tasks only, none on the lost node', async () => {
    const running = (await ps()).filter((r) => r.service === 'web' && r.state === 'running');
    return running.length === 3 && running.every((r) => r.node !== victim.name) && JSON.stringify(await readyServers()) === JSON.stringify(running.map((r) => r.ip).sort());
  }, 300);
  assert.notDeepEqual(await readyServers(), before);
  const { bodies } = await answers(12);
  assert.ok(bodies.every((b) => b.startsWith(bodies[0]!.split(' ')[0]!)), bodies.join('; '));
  mark(`HAProxy followed: ${JSON.stringify(before)} → ${JSON.stringify(await readyServers())}`);
});
