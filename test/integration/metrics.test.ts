// The collector on the real engine: a container held to half a CPU by its quota, burning it, and
// then allocating 256 MiB, is measured within 15 % of what it burned (its own process.cpuUsage)
// and of what it allocated; GET /metrics parses as Prometheus text and carries the labels.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Dockerode from 'dockerode';
import parsePrometheus from 'parse-prometheus-text-format';
import { Containers } from '../../src/docker/containers.js';
import { Networks } from '../../src/docker/networks.js';
import { appNetworkName, containerCreateOptions } from '../../src/deploy/container-spec.js';
import type { MetricsView } from '../../src/metrics/query.js';
import { serviceSpec } from '../helpers/specs.js';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const docker = new Dockerode({ socketPath: process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock' });
const containers = new Containers(docker);
const networks = new Networks(docker);
const MiB = 1024 * 1024;

// Burns CPU in 20 ms slices (yielding so signals and HTTP get through), logs its own CPU time
// every 250 ms, allocates and touches 256 MiB on SIGUSR2, and counts bytes POSTed to it.
const BURNER = `
const http = require('http');
let keep = null;
(function burn() { const end = Date.now() + 20; while (Date.now() < end); setImmediate(burn); })();
setInterval(() => { const u = process.cpuUsage(); console.log('cpu ' + Date.now() + ' ' + (u.user + u.system)); }, 250);
process.on('SIGUSR2', () => { keep = Buffer.alloc(256 * 1024 * 1024, 1); console.log('allocated ' + keep.length); });
http.createServer((req, res) => { req.on('data', () => {}); req.on('end', () => res.end('ok')); }).listen(+process.env.PORT);
`;

let s: TestServer;
let app: string;
let id = '';
let ip = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const view = async (q: string) => (await (await s.api(`/api/apps/${app}/metrics?${q}`)).json()) as MetricsView;

before(async () => {
  s = await startTestServer({ metricsInterval: 0.5 });
  app = uniqueName('met');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  await networks.ensureNetwork(appNetworkName(app), { 'slipway.app': app });
  const service = serviceSpec({ command: ['node', '-e', BURNER], memoryBytes: 512 * MiB, nanoCpus: 0.5e9, restart: 'no', stopGraceSeconds: 0 });
  const c = await containers.runContainer(containerCreateOptions({ app, release: { version: 1, imageRef: 'node:18-slim', config: {} }, service, color: 'blue', index: 1 }));
  id = c.id;
  ip = c.ip;
});

after(async () => {
  if (id) await containers.removeContainer(id).catch(() => undefined);
  await networks.removeNetwork(appNetworkName(app)).catch(() => undefined);
  await s?.stop();
});

/** The container's own CPU seconds per second between two of its log lines `window` ms apart. */
async function selfReportedCpu(windowMs: number): Promise<number> {
  const lines = (await containers.logTail(id, 400)).map((l) => /^cpu (\d+) (\d+)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const last = lines.at(-1)!;
  const first = [...lines].reverse().find((m) => Number(last[1]) - Number(m[1]) >= windowMs) ?? lines[0]!;
  return (Number(last[2]) - Number(first[2])) / 1e6 / ((Number(last[1]) - Number(first[1])) / 1000);
}

test('CPU: the collector measures what the container burned, within 15 %', async () => {
  await sleep(3000);
  const window = 6000;
  await sleep(window);
  const measured = (await view(`since=${window / 1000}s&points=1`)).services.find((x) => x.service === 'web')!.series.cpu![0]! / 100;
  const burned = await selfReportedCpu(window);
  console.log(`# cpu: collector ${measured.toFixed(3)} CPU, the container's own count ${burned.toFixed(3)} CPU (quota 0.5)`);
  assert.ok(burned > 0.05, `the container burned ${burned} CPU`);
  assert.ok(Math.abs(measured - burned) / burned <= 0.15, `collector ${measured} vs burned ${burned}`);
});

test('memory: working set grows by the 256 MiB the container allocated, within 15 %; the 512 MiB limit is reported', async () => {
  const current = async () => (await view('since=1m')).services.find((x) => x.service === 'web')!.current;
  const before = (await current()).memory!;
  await docker.getContainer(id).kill({ signal: 'SIGUSR2' });
  for (let i = 0; i < 100 && !(await containers.logTail(id, 50)).some((l) => l.startsWith('allocated')); i++) await sleep(100);
  await sleep(2000); // a few samples after the allocation
  const now = await current();
  const grew = now.memory! - before;
  console.log(`# memory: ${(before / MiB).toFixed(1)} MiB → ${(now.memory! / MiB).toFixed(1)} MiB (+${(grew / MiB).toFixed(1)} MiB, allocated 256 MiB)`);
  assert.ok(Math.abs(grew - 256 * MiB) / (256 * MiB) <= 0.15, `grew ${grew / MiB} MiB`);
  assert.equal(now.memoryLimit, 512 * MiB);
});

test('GET /metrics parses as Prometheus text with cAdvisor names and the app, service, release and color labels', async () => {
  // 3 MiB posted to the container shows in its network counter.
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ host: ip, port: 3000, method: 'POST', path: '/' }, (res) => res.resume().on('end', resolve));
    req.on('error', reject);
    req.end(Buffer.alloc(3 * MiB, 7));
  });
  await sleep(1500);
  assert.equal((await fetch(`${s.url}/metrics`)).status, 401, 'the admin token is needed');
  const res = await s.api('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheus(await res.text());
  const family = (name: string) => {
    const f = families.find((x) => x.name === name);
    assert.ok(f, `${name} is exported`);
    return f;
  };
  const mine = (name: string) => family(name).metrics.find((m) => m.labels?.app === app)!;
  const cpu = mine('container_cpu_usage_seconds_total');
  assert.equal(family('container_cpu_usage_seconds_total').type, 'COUNTER');
  assert.deepEqual(
    { app: cpu.labels!.app, service: cpu.labels!.service, release: cpu.labels!.release, color: cpu.labels!.color, name: cpu.labels!.name },
    { app, service: 'web', release: 'v1', color: 'blue', name: `slipway_${app}_web_blue_1` },
  );
  assert.ok(Number(cpu.value) > 1);
  assert.ok(Number(mine('container_memory_working_set_bytes').value) > 200 * MiB);
  assert.equal(Number(mine('container_spec_memory_limit_bytes').value), 512 * MiB);
  assert.ok(Number(mine('container_network_receive_bytes_total').value) >= 3 * MiB);
  for (const name of ['container_fs_reads_bytes_total', 'container_fs_writes_bytes_total', 'container_network_transmit_bytes_total', 'slipway_container_restarts_total']) mine(name);
  assert.equal(family('slipway_deploy_duration_seconds').type, 'HISTOGRAM');
  for (const name of ['slipway_deploys_total', 'slipway_deploy_queue_depth', 'slipway_log_lines_shipped_total', 'slipway_metrics_sample_cpu_seconds_total']) family(name);
});

test('slipway metrics APP prints the current values and a chart per metric; --json is the API answer', async () => {
  const text = await s.cli(['metrics', app, '--since', '30s']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`=== ${app}: last 30s`));
  assert.match(text.stdout, /^web {2}1 replica$/m);
  assert.match(text.stdout, /^ {2}cpu +[▁▂▃▄▅▆▇█ ]+ {2}now [\d.]+ %/m);
  assert.match(text.stdout, /^ {2}memory +[▁▂▃▄▅▆▇█ ]+ {2}now [\d.]+ MiB of 512 MiB/m);
  const json = JSON.parse((await s.cli(['metrics', app, '--json', '--service', 'web', '--since', '1m', '--points', '10'])).stdout) as MetricsView;
  assert.equal(json.services.length, 1);
  assert.ok(json.times.length <= 10);
  assert.equal(json.services[0]!.series.cpu!.length, json.times.length);
  const bad = await s.cli(['metrics', app, '--since', 'yesterday']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /since must be a duration/);
});
