// Metrics and autoscaling on a real 3-node Docker Swarm (test/helpers/swarm.ts): the node agents
// sample the tasks on their nodes, so `slipway metrics` shows every replica wherever it runs;
// and the autoscaler changes the serving color's Swarm service in place — out under load, in
// with the leaving tasks drained first — with the app answering throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import parsePrometheus from 'parse-prometheus-text-format';
import type { MetricsView } from '../../src/metrics/query.js';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { startLoad } from '../helpers/load.js';
import { ROOT, uniqueName, type TestServer } from '../helpers/server.js';
import { swarmUnavailable, type SwarmHarness } from '../helpers/swarm.js';
import { startSwarmSlipway } from '../helpers/swarm-slipway.js';

const skip = swarmUnavailable() ?? false;
let h: SwarmHarness;
let s: TestServer;
let app: string;
let repo: Repo;
const t0 = Date.now();
const mark = (what: string) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(0)} s: ${what}`);

interface PsRow { service: string; name: string; color: string | null; state: string; node: string }
const host = () => `${app}.${s.config.appsDomain}`;
const ps = async () => (await (await s.api(`/api/apps/${app}/ps`)).json()) as PsRow[];

async function eventually(what: string, check: () => Promise<boolean>, seconds = 120): Promise<void> {
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) if (await check().catch(() => false)) return;
  assert.fail(`never happened within ${seconds} s: ${what}`);
}

before(async () => {
  if (skip) return;
  ({ h, s } = await startSwarmSlipway(3, {
    drainSeconds: 10,
    metricsInterval: 1,
    autoscaleInterval: 1000,
    autoscaleWindow: 3000,
    autoscaleSamples: 2,
    autoscaleCooldown: 2000,
    autoscaleStabilization: 3000,
  }));
  mark('swarm formed');
  app = uniqueName('sws');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/swarm-app'));
  await repo.commit('v1');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  mark('deployed web ×3 and a worker');
});

after(async () => {
  if (skip) return;
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop().catch(() => undefined);
  await h?.stop();
});

test('slipway metrics (and /metrics) shows CPU and memory of the tasks on every node, the manager\'s and the others', { skip }, async () => {
  const web = (await ps()).filter((r) => r.service === 'web');
  assert.equal(new Set(web.map((r) => r.node)).size, 3, `web on three nodes: ${JSON.stringify(web)}`);
  const worker = (await ps()).find((r) => r.service === 'worker')!;
  assert.notEqual(worker.node, h.nodes[0]!.name, 'the worker runs on a node other than the manager');
  let view: MetricsView | null = null;
  const of = (name: string) => view?.services.find((x) => x.service === name);
  const service = (name: string) => of(name)?.current ?? {};
  await eventually('all three web tasks and the worker are sampled', async () => {
    const out = await s.cli(['metrics', app, '--json', '--since', '5m']);
    view = JSON.parse(out.stdout) as MetricsView;
    return service('web').replicas === 3 && (service('worker').replicas ?? 0) >= 1;
  }, 90);
  const w = service('web');
  assert.ok((w.memory ?? 0) > 1024 * 1024, `memory of the web tasks: ${w.memory}`);
  assert.equal(typeof w.cpu, 'number');
  assert.ok(of('web')!.series.cpu!.some((v) => (v ?? 0) > 0), `CPU of the web tasks over the window: ${JSON.stringify(of('web')!.series.cpu)}`);
  assert.equal(w.memoryLimit, 3 * 128 * 1024 * 1024, 'each task under its 128m limit');
  assert.ok((service('worker').memory ?? 0) > 1024 * 1024);
  // The same tasks in /metrics (Prometheus), by container.
  const families = parsePrometheus(await (await s.api('/metrics')).text());
  const cpu = families.find((f) => f.name === 'container_cpu_usage_seconds_total')!.metrics.filter((m) => m.labels?.app === app && m.labels.service === 'web');
  assert.equal(cpu.length, 3, `3 web tasks in /metrics: ${JSON.stringify(cpu)}`);
  // How the agent of a node other than the manager reads them (the choice ARCHITECTURE.md states):
  // the host's cgroup files, mounted into it.
  const node = h.nodes[1]!;
  const agent = (await h.docker(node.index, ['ps', '-q', '--filter', 'label=slipway.agent'])).trim();
  const out = await promisify(execFile)('docker', ['-H', `unix://${node.socket}`, 'logs', agent]);
  const said = (out.stdout + out.stderr).split('\n').find((l) => l.includes("sampling this node's containers")) ?? '';
  assert.match(said, /"fromCgroups":[1-9]/, `the agent on ${node.name} reads cgroup files: ${said || out.stdout + out.stderr}`);
  mark(`agent on ${node.name}: ${said}`);
  mark(`web: cpu ${w.cpu?.toFixed(2)} %, memory ${((w.memory ?? 0) / 2 ** 20).toFixed(1)} MiB over 3 tasks on 3 nodes`);
});

interface Scaling { services: { service: string; replicas: number }[]; events: { from: number; to: number; outcome: string; reason: string }[] }
const scaling = async () => (await (await s.api(`/api/apps/${app}/autoscale`)).json()) as Scaling;
/** The replicas Swarm runs of the serving color's web service, as `docker service inspect` says. */
async function swarmReplicas(): Promise<{ name: string; replicas: number }> {
  const color = (await ps()).find((r) => r.service === 'web')!.color;
  const name = `slipway_${app}_web_${color}`;
  const spec = JSON.parse(await h.docker(0, ['service', 'inspect', name])) as [{ Spec: { Mode: { Replicated: { Replicas: number } } } }];
  return { name, replicas: spec[0].Spec.Mode.Replicated.Replicas };
}
const runningWeb = async () => (await ps()).filter((r) => r.service === 'web' && r.state === 'running').length;

test('the autoscaler scales the serving color\'s Swarm service in and out in place, the leaving tasks drained first: no request fails', { skip }, async () => {
  const before = await swarmReplicas();
  assert.equal(before.replicas, 3);
  // In: a min_cpu no replica reaches (a rule met trivially), under keep-alive load: 3 → 2 → 1.
  let set = await s.cli(['autoscale:set', app, 'web', 'min_cpu=9000', 'max_cpu=10000', 'min_instances=1', 'max_instances=3']);
  assert.equal(set.code, 0, set.stdout + set.stderr);
  let load = startLoad(s.config.httpPort, host(), 2, 300_000);
  await eventually('the web service runs 1 replica', async () => (await swarmReplicas()).replicas === 1 && (await runningWeb()) === 1, 240);
  await new Promise((r) => setTimeout(r, 3000));
  let traffic = await load.stop();
  assert.deepEqual(traffic.failures, [], `scale-in: ${traffic.failures.length} of ${traffic.total} requests failed`);
  assert.ok(traffic.total > 0);
  mark(`scale-in 3 → 1 under load: ${traffic.total} requests, 0 failed`);

  // Out: under load every replica is above a max_cpu of 0.5 %: 1 → 2 → 3, spread over the nodes.
  set = await s.cli(['autoscale:set', app, 'web', 'min_cpu=', 'max_cpu=0.5']);
  assert.equal(set.code, 0, set.stdout + set.stderr);
  load = startLoad(s.config.httpPort, host(), 2, 300_000);
  await eventually('the web service runs 3 replicas, all answering', async () => (await swarmReplicas()).replicas === 3 && (await runningWeb()) === 3 && load.firstSeen.size >= 3, 240);
  traffic = await load.stop();
  assert.deepEqual(traffic.failures, [], `scale-out: ${traffic.failures.length} of ${traffic.total} requests failed`);
  mark(`scale-out 1 → 3 under load: ${traffic.total} requests, 0 failed, answered by ${load.firstSeen.size} tasks`);

  assert.equal((await swarmReplicas()).name, before.name, 'the same Swarm service, changed in place (no new color)');
  const done = (await scaling()).events.filter((e) => e.outcome === 'done').reverse().map((e) => `${e.from}→${e.to}`);
  assert.deepEqual(done, ['3→2', '2→1', '1→2', '2→3']);
  const shown = await s.cli(['autoscale', app]);
  assert.match(shown.stdout, /web +3 replicas/);
});
