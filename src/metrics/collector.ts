// The collector: every interval, one reading of every running Slipway container (its cgroup
// files; the Engine's one-shot stats only where those can't be read) and of HAProxy's counters per
// app backend, turned into per-interval rows for the store and cumulative values for /metrics.
//
// Why cgroup files and not the Engine's stats: a reading is a handful of small file reads per
// container (tens of µs); a stats call makes dockerd read the same files, marshal a JSON document
// and (streaming) keep a goroutine per container — 15–60 % of a core at scale (moby #21837,
// #39664). The Engine is asked only for what the files don't say: the list of containers (one
// call per sample), and a new container's init pid and restart count.
import type { Logger } from '../log.js';
import type { ContainerInfo } from '../docker/containers.js';
import type { AccessLine, BackendStats } from '../proxy/stats.js';
import { errorMessage } from '../errors.js';
import { Periodic } from '../periodic.js';
import type { Usage } from './cgroup.js';
import type { CgroupLocation, CgroupReader } from './cgroup-reader.js';
import { usageFromEngineStats } from './engine-stats.js';
import { Histogram } from './histogram.js';
import type { ContainerRow, HttpRow, MetricsStore, SeriesLabels } from './store.js';

/** Where samples go: the metrics store, or (a node agent) the server's agent API. */
export type SampleSink = Pick<MetricsStore, 'insert' | 'maintain'>;

/** What the collector asks of the Engine and HAProxy (the composition root adapts them). */
export interface CollectorPorts {
  /** Running Slipway containers. */
  listContainers(): Promise<ContainerInfo[]>;
  runtime(id: string): Promise<{ pid: number | null; restartCount: number } | null>;
  statsOnce(id: string): Promise<unknown>;
  backendStats(): Promise<BackendStats[]>;
}

export interface CollectorDeps {
  ports: CollectorPorts;
  reader: CgroupReader;
  store: SampleSink;
  intervalMs: number;
  logger: Logger;
  /** Which apps' containers this Slipway samples (its own). */
  ownsApp?: (app: string) => boolean;
  /** How often rollups and pruning run. */
  maintainEveryMs?: number;
  now?: () => number;
  /** Told after each sample is stored (the dashboard's live charts refresh then). */
  onSampled?: (ts: number) => void;
}

/** A container as last read: cumulative values, for /metrics and the next delta. */
export interface ContainerReading {
  id: string;
  labels: SeriesLabels;
  usage: Usage;
  restarts: number;
  /** `agent`: summed from a swarm node agent's rows (src/metrics/remote.ts). */
  source: 'cgroup' | 'engine' | 'agent';
}

/** A backend's counters accumulated since Slipway started (HAProxy's reset on a reload). */
export interface BackendReading extends BackendStats {
  labels: SeriesLabels;
  p50: number | null;
  p95: number | null;
}

interface Tracked {
  pid: number | null;
  restarts: number;
  loc: CgroupLocation | null;
  last: Usage | null;
  lastTs: number;
}

/** A counter's growth since the last reading; a counter that went back started again from 0. */
const grown = (cur: number, prev: number | undefined) => (prev === undefined ? 0 : cur >= prev ? cur - prev : cur);

export class Collector {
  private readonly tracked = new Map<string, Tracked>();
  private readonly containers = new Map<string, ContainerReading>();
  private readonly backends = new Map<string, BackendReading & { raw: BackendStats | null }>();
  private histograms = new Map<string, Histogram>();
  private readonly ticker: Periodic;
  private lastHttpTs = 0;
  private lastMaintain = 0;
  /** Cost of sampling, for /metrics and bench/metrics. */
  readonly cost = { samples: 0, cpuSeconds: 0, lastContainers: 0 };
  private readonly now: () => number;

  constructor(private readonly deps: CollectorDeps) {
    this.now = deps.now ?? Date.now;
    this.ticker = new Periodic(() => this.sample(), deps.intervalMs, (e) => deps.logger.warn('metrics sample failed', { error: errorMessage(e) }));
  }

  start(): void {
    this.ticker.start(0);
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One access-log line: the request's time goes into its backend's histogram of this interval. */
  recordResponse(line: AccessLine): void {
    if (line.ms < 0 || !line.backend.includes('_')) return;
    let h = this.histograms.get(line.backend);
    if (!h) this.histograms.set(line.backend, (h = new Histogram()));
    h.record(line.ms);
  }

  /** Takes one sample of everything and stores it. */
  async sample(): Promise<void> {
    const cpu0 = process.cpuUsage();
    const ts = this.now();
    const list = (await this.deps.ports.listContainers()).filter((c) => c.app && (this.deps.ownsApp?.(c.app) ?? true));
    const rows: ContainerRow[] = [];
    for (const c of list) {
      const row = await this.readContainer(c, ts).catch((e: unknown) => {
        this.deps.logger.debug('metrics: cannot read container', { name: c.name, error: errorMessage(e) });
        return null;
      });
      if (row) rows.push(row);
    }
    const seen = new Set(list.map((c) => c.id));
    for (const id of this.tracked.keys()) if (!seen.has(id)) {
      this.tracked.delete(id);
      this.containers.delete(id);
    }
    const http = await this.readBackends(ts).catch((e: unknown) => {
      this.deps.logger.debug('metrics: cannot read HAProxy stats', { error: errorMessage(e) });
      return [] as HttpRow[];
    });
    this.deps.store.insert(ts, rows, http);
    if (ts - this.lastMaintain >= (this.deps.maintainEveryMs ?? 60_000)) {
      this.deps.store.maintain(ts);
      this.lastMaintain = ts;
    }
    const used = process.cpuUsage(cpu0);
    this.cost.samples++;
    this.cost.cpuSeconds += (used.user + used.system) / 1e6;
    this.cost.lastContainers = rows.length;
    this.deps.onSampled?.(ts);
  }

  /** The last reading of every container and backend (cumulative), for GET /metrics. */
  snapshot(): { containers: ContainerReading[]; backends: BackendReading[] } {
    return { containers: [...this.containers.values()], backends: [...this.backends.values()].map(({ raw: _raw, ...b }) => b) };
  }

  private async readContainer(c: ContainerInfo, ts: number): Promise<ContainerRow | null> {
    let t = this.tracked.get(c.id);
    // A restarted container has a new init: look it up again (new pid, restart count).
    if (!t || !t.pid || !this.deps.reader.alive(t.pid)) {
      const rt = await this.deps.ports.runtime(c.id);
      if (!rt) return null;
      t = { pid: rt.pid, restarts: rt.restartCount, loc: this.deps.reader.locate(c.id, rt.pid), last: t?.last ?? null, lastTs: t?.lastTs ?? 0 };
      this.tracked.set(c.id, t);
    }
    let usage: Usage;
    let source: ContainerReading['source'] = 'cgroup';
    try {
      if (!t.loc) throw new Error('no cgroup');
      usage = this.deps.reader.read(t.loc, t.pid);
    } catch {
      usage = usageFromEngineStats(await this.deps.ports.statsOnce(c.id));
      source = 'engine';
    }
    const labels: SeriesLabels = {
      app: c.app,
      service: c.service ?? c.kind,
      release: Number.isFinite(c.release) ? c.release : null,
      color: c.color,
      name: c.name,
    };
    this.containers.set(c.id, { id: c.id, labels, usage, restarts: t.restarts, source });
    const prev = t.last;
    const dur = prev ? ts - t.lastTs : 0;
    t.last = usage;
    t.lastTs = ts;
    // The first reading only sets the baseline: a row says what happened during an interval.
    if (!prev || dur <= 0) return null;
    return {
      key: c.id,
      labels,
      dur,
      cpuUs: grown(usage.cpuSeconds, prev.cpuSeconds) * 1e6,
      mem: usage.memoryWorkingSet,
      memLimit: usage.memoryLimit,
      ioRead: grown(usage.ioReadBytes, prev.ioReadBytes),
      ioWrite: grown(usage.ioWriteBytes, prev.ioWriteBytes),
      netRx: grown(usage.netRxBytes, prev.netRxBytes),
      netTx: grown(usage.netTxBytes, prev.netTxBytes),
      restarts: t.restarts,
    };
  }

  private async readBackends(ts: number): Promise<HttpRow[]> {
    const stats = await this.deps.ports.backendStats();
    const histograms = this.histograms;
    this.histograms = new Map();
    const dur = this.lastHttpTs ? ts - this.lastHttpTs : 0;
    this.lastHttpTs = ts;
    const rows: HttpRow[] = [];
    for (const s of stats) {
      const [app, ...rest] = s.backend.split('_');
      if (!app || !rest.length || !(this.deps.ownsApp?.(app) ?? true)) continue;
      const labels: SeriesLabels = { app, service: rest.join('_'), release: null, color: null, name: s.backend };
      const b = this.backends.get(s.backend) ?? { backend: s.backend, labels, requests: 0, r2xx: 0, r4xx: 0, r5xx: 0, sessions: 0, queue: 0, p50: null, p95: null, raw: null };
      const d = {
        requests: grown(s.requests, b.raw?.requests),
        r2xx: grown(s.r2xx, b.raw?.r2xx),
        r4xx: grown(s.r4xx, b.raw?.r4xx),
        r5xx: grown(s.r5xx, b.raw?.r5xx),
      };
      const h = histograms.get(s.backend);
      const first = b.raw === null;
      Object.assign(b, {
        requests: b.requests + d.requests,
        r2xx: b.r2xx + d.r2xx,
        r4xx: b.r4xx + d.r4xx,
        r5xx: b.r5xx + d.r5xx,
        sessions: s.sessions,
        queue: s.queue,
        p50: h?.quantile(0.5) ?? null,
        p95: h?.quantile(0.95) ?? null,
        raw: s,
      });
      this.backends.set(s.backend, b);
      if (first || dur <= 0) continue;
      rows.push({ key: s.backend, labels, dur, ...d, sessions: s.sessions, queue: s.queue, p50: b.p50, p95: b.p95, timed: h?.count ?? 0 });
    }
    return rows;
  }
}
