// Log ingest benchmark, in one run: (1) lines/s shipped into the SQLite store from a container
// that wrote 1,000,000 lines, next to (2) the raw read rate of the same log through the Docker
// API (read and count only: the ceiling); (3) end-to-end lag p50/p99, written → visible to
// follow, for a container writing timestamped lines at a modest rate; (4) this process's peak
// RSS. Only the benchmark's own containers are shipped (other Slipway containers are skipped).
// Run: npx tsx bench/log-ingest.ts   (needs Docker and debian:bookworm-slim; exits 1 when a line
// went missing; removes its containers and data dir whatever happens)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Docker from 'dockerode';
import { dataPaths, loadConfig } from '../src/config.js';
import { DockerLogs } from '../src/docker/logs.js';
import { silentLogger } from '../src/log.js';
import { LABELS } from '../src/domain.js';
import type { LogSource } from '../src/logs/ports.js';
import { LogService } from '../src/logs/service.js';
import { requireAll } from './lib/needs.js';

const LINES = Number(process.env.LINES ?? 1_000_000);
const LAG_LINES = 500;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = `bench-logs-${Date.now().toString(36)}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-logs-'));
const containers: Docker.Container[] = [];
let peakRss = 0;
let logs: LogService | undefined;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

async function run(app: string, script: string): Promise<Docker.Container> {
  const c = await docker.createContainer({
    name: `${app}-web`,
    Image: 'debian:bookworm-slim',
    Cmd: ['bash', '-c', script],
    Labels: { [LABELS.app]: app, [LABELS.service]: 'web', [LABELS.release]: '1', [LABELS.kind]: 'web' },
    HostConfig: { LogConfig: { Type: 'json-file', Config: {} } },
  });
  containers.push(c);
  await c.start();
  return c;
}

/** The Docker adapter, limited to this benchmark's containers. */
function onlyOurs(inner: LogSource): LogSource {
  const ours = (labels: Record<string, string>) => (labels[LABELS.app] ?? '').startsWith(tag);
  return {
    list: async (label) => (await inner.list(label)).filter((c) => ours(c.labels)),
    inspect: (id) => inner.inspect(id),
    frames: (id, since, signal) => inner.frames(id, since, signal),
    starts: async function* (label, signal) {
      for await (const id of inner.starts(label, signal)) {
        const c = await inner.inspect(id);
        if (c && ours(c.labels)) yield id;
      }
    },
    volume: (name) => inner.volume(name),
  };
}

/** Counted in SQL, so the benchmark itself does not load a million entries into memory. */
function countLines(app: string): number {
  const db = new Database(dataPaths(loadConfig({}, { dataDir })).logsDb, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM lines WHERE app = ?').get(app) as { n: number }).n;
  } finally {
    db.close();
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  // 1,000,000 lines of ~40 bytes, written as fast as the engine takes them.
  const bulkApp = `${tag}-bulk`;
  console.log(`writing ${fmt(LINES)} lines in a container…`);
  const bulk = await run(bulkApp, `seq -f 'line %.0f of the log-ingest benchmark' 1 ${LINES}`);
  await bulk.wait();

  // Ceiling: read the same log through the Engine API and count frames.
  const source = new DockerLogs(docker);
  let t = performance.now();
  let frames = 0;
  for await (const chunk of source.frames(bulk.id, null, new AbortController().signal)) frames += chunk.length;
  const rawSeconds = (performance.now() - t) / 1000;

  // Shipping: a fresh store, the container already exited (as after a Slipway restart).
  const service = (logs = new LogService({ docker, source: onlyOurs(source), config: loadConfig({}, { dataDir }), logger: silentLogger() }));
  t = performance.now();
  await service.start();
  const last = `line ${LINES} of the log-ingest benchmark`;
  while (service.query({ app: bulkApp, limit: 1 })[0]?.line !== last) await new Promise((r) => setTimeout(r, 20));
  const shipSeconds = (performance.now() - t) / 1000;
  const stored = countLines(bulkApp);

  // Lag: ~50 lines/s, each carrying its write time in ns; measured when follow yields it.
  const lagApp = `${tag}-lag`;
  const lags: number[] = [];
  const ac = new AbortController();
  const following = (async () => {
    for await (const e of service.follow({ app: lagApp }, ac.signal)) {
      const ns = /^t=(\d+)$/.exec(e.line)?.[1];
      if (ns) lags.push(Date.now() - Number(BigInt(ns) / 1_000_000n));
      if (lags.length >= LAG_LINES) ac.abort();
    }
  })();
  await run(lagApp, `for i in $(seq 1 ${LAG_LINES}); do echo "t=$(date +%s%N)"; sleep 0.02; done`);
  await following;
  await service.stop();
  logs = undefined;
  lags.sort((a, b) => a - b);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024); // lifetime peak, in KiB

  console.log('');
  console.log(`lines written by the container       ${fmt(LINES)} (stored: ${fmt(stored)})`);
  console.log(`shipped into the store (SQLite+FTS5)  ${fmt(stored / shipSeconds)} lines/s  (${shipSeconds.toFixed(1)} s)`);
  console.log(`raw Docker API read, count only       ${fmt(frames / rawSeconds)} lines/s  (${rawSeconds.toFixed(1)} s) — the ceiling`);
  console.log(`end-to-end lag, written → follow      p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms  (${lags.length} lines at ~50/s)`);
  console.log(`peak RSS of this process              ${fmt(peakRss / 1024 / 1024)} MiB`);
  if (stored !== LINES) {
    console.log(`FAIL: the store holds ${fmt(stored)} of the ${fmt(LINES)} lines written`);
    process.exitCode = 1;
  }
}

await requireAll('log-ingest', [{ service: 'docker' }]);
try {
  await main();
} finally {
  clearInterval(sampler);
  await logs?.stop().catch(() => undefined);
  for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
