// Slipway on a real 3-node Docker Swarm (test/helpers/swarm.ts), driven the way a user does:
// cluster:init, nodes:add on the other machines, git push of a compose app (web ×3 + worker)
// that spreads over the nodes, redeploy and rollback under keep-alive load with no failed
// request, logs of every node's tasks, a node drained, and a node's engine killed mid-deploy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createDocker } from '../../src/docker/client.js';
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

  const spec = JSON.parse(await h.docker(0, ['service', 'inspect', `slipway-${app}-web-blue`])) as [{ Spec: { TaskTemplate: Record<string, any>; EndpointSpec: { Mode: string } } }];
  const t = spec[0].Spec.TaskTemplate;
  assert.equal(spec[0].Spec.EndpointSpec.Mode, 'dnsrr');
  assert.equal(t.Resources.Limits.MemoryBytes, 128 * 1024 * 1024);
  assert.equal(t.Resources.Reservations.MemoryBytes, 16 * 1024 * 1024);
  assert.deepEqual([t.RestartPolicy.Condition, t.RestartPolicy.Delay], ['any', 1e9]);
  assert.match(t.ContainerSpec.Image, new RegExp(`^${h.hostAddr.replace(/\./g, '\\.')}:5000/${app}@sha256:`), 'pulled by digest from the registry door');
  const w = JSON.parse(await h.docker(0, ['service', 'inspect', `slipway-${app}-worker-v1`])) as [{ Spec: { TaskTemplate: Record<string, any> } }];
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
  assert.deepEqual(services, [`slipway-${app}-web-blue`, `slipway-${app}-worker-v3`], 'the old color and worker are gone');
});
