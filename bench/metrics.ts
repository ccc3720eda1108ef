// Metrics benchmark: the CPU time one sample of 10, 50 and 100 idle containers costs — the
// collector (cgroup files + one container list), beside the same containers read through the
// Engine's stats API (one-shot, one call per container) — counting this process AND dockerd;
// then the metrics database's size per container-day. Goal: under 1 % of one core at 100
// containers every 10 s. Containers it starts carry a bench label and are removed at the end.
// Run: npx tsx bench/metrics.ts [sizes=10,50,100] [samples=10]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { Containers } from '../src/docker/containers.js';
import { silentLogger } from '../src/log.js';
import { requireAll } from './lib/needs.js';
import { CgroupReader } from '../src/metrics/cgroup-reader.js';
import { Collector } from '../src/metrics/collector.js';
import { parseTiers } from '../src/metrics/retention.js';
import { MetricsStore, type ContainerRow } from '../src/metrics/store.js';

const SIZES = (process.argv[2] ?? '10,50,100').split(',').map(Number);
const SAMPLES = Number(process.argv[3] ?? 10);
const docker = new Dockerode({ socketPath: process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock' });
const containers = new Containers(docker);
const app = `bench-metrics-${process.pid}`;
const BENCH_LABEL = 'slipway.bench';
const TICK = 100; // USER_HZ: /proc/PID/stat counts CPU in 1/100 s

/** CPU seconds of dockerd so far (utime + stime in /proc/PID/stat). */
function dockerdCpu(): number {
  const pid = readFileSync('/var/run/docker.pid', 'utf8').trim();
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function measure(rounds: number, work: () => Promise<void>): Promise<{ self: number; dockerd: number; wall: number }> {
  const s0 = selfCpu();
  const d0 = dockerdCpu();
  const t0 = Date.now();
  for (let i = 0; i < rounds; i++) await work();
  return { self: (selfCpu() - s0) / rounds, dockerd: (dockerdCpu() - d0) / rounds, wall: (Date.now() - t0) / 1000 / rounds };
}

async function startIdle(n: number, from: number): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, async (_, j) => {
        const c = await docker.createContainer({
          name: `${app}-web-blue-${from + i + j + 1}`,
          Image: 'debian:bookworm-slim',
          Cmd: ['sleep', 'infinity'],
          Labels: { 'slipway.app': app, 'slipway.service': 'web', 'slipway.release': '1', 'slipway.kind': 'web', 'slipway.color': 'blue', [BENCH_LABEL]: app },
          HostConfig: { Init: true, NetworkMode: 'none' },
        });
        await c.start();
      }),
    );
  }
}

async function removeAll(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${BENCH_LABEL}=${app}`] } });
  for (let i = 0; i < list.length; i += 10)
    await Promise.all(list.slice(i, i + 10).map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

async function dbSize(): Promise<{ rawPerDay: number; steady: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-metrics-db-'));
  const n = 10;
  const day = 86_400_000;
  const labels = (i: number) => ({ app: 'demo', service: 'web', release: 12, color: 'blue', name: `slipway-demo-web-blue-${i}` });
  const row = (i: number, t: number): ContainerRow => ({
    key: `${'0'.repeat(60)}${String(i).padStart(4, '0')}`, labels: labels(i), dur: 10_000,
    cpuUs: 20_000 + ((t / 1000) % 997), mem: 52_428_800 + (t % 4096), memLimit: 536_870_912, ioRead: t % 3 ? 0 : 4096, ioWrite: 8192, netRx: 1500 + (t % 700), netTx: 3000 + (t % 900), restarts: 0,
  });
  // One day of 10-s samples, rolled up as the collector does every minute.
  const store = new MetricsStore(path.join(dir, 'metrics.db'), parseTiers(day, '1m:7d,10m:30d'), 1e12);
  const t0 = Math.floor(Date.now() / day) * day;
  for (let t = t0; t < t0 + day; t += 10_000) {
    store.insert(t, Array.from({ length: n }, (_, i) => row(i, t)), []);
    if (t % 60_000 === 0) store.maintain(t);
  }
  store.maintain(t0 + day);
  const oneDay = store.sizeBytes();
  // Steady state: 24 h raw + 7 d of 1-minute rows + 30 d of 10-minute rows.
  const rows = store.db.prepare('SELECT COUNT(*) AS n FROM container_samples WHERE tier = ?');
  const count = (tier: number) => (rows.get(tier) as { n: number }).n;
  const perRow = oneDay / (count(0) + count(1) + count(2));
  const steady = perRow * (8640 + 7 * 1440 + 30 * 144) * n;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { rawPerDay: oneDay / n, steady: steady / n };
}

async function main() {
  await requireAll('metrics', [{ service: 'docker' }]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-metrics-'));
  const store = new MetricsStore(path.join(dir, 'metrics.db'), parseTiers(86_400_000, '1m:7d,10m:30d'), 512 * 1024 * 1024);
  const reader = new CgroupReader({ cgroupRoot: '/sys/fs/cgroup', procRoot: '/proc' });
  const collector = new Collector({
    ports: {
      listContainers: () => containers.listContainers(),
      runtime: (id) => containers.runtime(id),
      statsOnce: (id) => containers.statsOnce(id),
      backendStats: async () => [],
    },
    reader,
    store,
    intervalMs: 10_000,
    logger: silentLogger(),
    ownsApp: (a) => a === app,
  });
  const results: string[] = [];
  try {
    let running = 0;
    for (const size of SIZES) {
      await startIdle(size - running, running);
      running = size;
      await collector.sample(); // first look: each new container's pid and cgroup
      await collector.sample();
      if (collector.cost.lastContainers !== size) throw new Error(`collector read ${collector.cost.lastContainers} of ${size} containers`);
      const c = await measure(SAMPLES, () => collector.sample());
      const ids = (await containers.listContainers({ app })).map((x) => x.id);
      const e = await measure(Math.max(1, Math.floor(SAMPLES / 3)), async () => {
        // As a collector on the Engine would: every container's one-shot stats, 10 at a time.
        for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map((id) => containers.statsOnce(id)));
      });
      const core = (x: { self: number; dockerd: number }) => `${(((x.self + x.dockerd) / 10) * 100).toFixed(2)} %`;
      results.push(
        `  ${String(size).padStart(3)} containers   collector ${((c.self + c.dockerd) * 1000).toFixed(1).padStart(7)} ms/sample (slipway ${(c.self * 1000).toFixed(1)}, dockerd ${(c.dockerd * 1000).toFixed(1)}; ${core(c)} of a core at 10 s)` +
          `   Engine stats ${((e.self + e.dockerd) * 1000).toFixed(1).padStart(7)} ms/sample (slipway ${(e.self * 1000).toFixed(1)}, dockerd ${(e.dockerd * 1000).toFixed(1)}; ${core(e)}; ${e.wall.toFixed(2)} s wall)`,
      );
      console.log(results.at(-1));
    }
  } finally {
    await removeAll();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const db = await dbSize();
  console.log(`\nmetrics: CPU time per sample (this process + dockerd), ${SAMPLES} samples each, idle debian containers, cgroup v${reader.version}`);
  for (const r of results) console.log(r);
  console.log(`  metrics DB: ${(db.rawPerDay / 1024).toFixed(0)} KiB per container-day of 10-s samples (with its 1-min and 10-min rollups);`);
  console.log(`              ${(db.steady / 1024 / 1024).toFixed(2)} MiB per container at steady state (24 h raw + 7 d 1-min + 30 d 10-min)`);
  console.log(`  collector memory: ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MiB heap in this process after the run`);
}

main().then(
  () => process.exit(0),
  async (e: unknown) => {
    console.error(e);
    await removeAll().catch(() => undefined);
    process.exit(1);
  },
);
