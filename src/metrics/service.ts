// The metrics stage's front: the store (DATA/metrics.db), the cgroup reader, the collector and
// HAProxy's access log, started and stopped together; answers the API, /metrics and the autoscaler.
import { type Config, dataPaths } from '../config.js';
import type { Logger } from '../log.js';
import type { AccessLog } from '../proxy/access-log.js';
import { CgroupReader } from './cgroup-reader.js';
import { Collector, type CollectorPorts } from './collector.js';
import { containerFamilies, httpFamilies, platformFamilies, renderFamilies, type PlatformFacts } from './prometheus.js';
import { appTotals, metricsView, type AppTotals, type MetricsView } from './query.js';
import { parseTiers, tierFor, type Tier } from './retention.js';
import { RemoteReadings } from './remote.js';
import { MetricsStore, type ContainerRow } from './store.js';

export interface MetricsServiceDeps {
  config: Config;
  logger: Logger;
  ports: CollectorPorts;
  accessLog: AccessLog | null;
  ownsApp?: (app: string) => boolean;
  /** Told after each sample is stored. */
  onSampled?: (ts: number) => void;
  /** Where the kernel's files are (a Slipway in a container mounts the host's elsewhere). */
  cgroupRoot?: string;
  procRoot?: string;
}

/** One container's averages over a window, for the autoscaler. */
export interface WindowAverage {
  /** % of one CPU. */
  cpu: number;
  memory: number;
  memoryLimit: number | null;
  /** How much of the window its samples cover, ms (a replica that just started covers little). */
  coveredMs: number;
}

export class MetricsService {
  readonly store: MetricsStore;
  readonly collector: Collector;
  readonly tiers: Tier[];
  private readonly intervalMs: number;
  private readonly remote = new RemoteReadings();

  constructor(private readonly deps: MetricsServiceDeps) {
    const { config } = deps;
    this.intervalMs = config.metricsInterval * 1000;
    this.tiers = parseTiers(config.metricsRawRetention, config.metricsRollups);
    this.store = new MetricsStore(dataPaths(config).metricsDb, this.tiers, config.metricsMaxMb * 1024 * 1024);
    const reader = new CgroupReader({ cgroupRoot: deps.cgroupRoot ?? '/sys/fs/cgroup', procRoot: deps.procRoot ?? '/proc' });
    this.collector = new Collector({
      ports: deps.ports,
      reader,
      store: this.store,
      intervalMs: this.intervalMs,
      logger: deps.logger,
      ownsApp: deps.ownsApp,
      maintainEveryMs: Math.min(60_000, this.tiers[1]?.bucketMs ?? 60_000),
      onSampled: deps.onSampled,
    });
  }

  start(): void {
    this.deps.accessLog?.onLine((l) => this.collector.recordResponse(l));
    this.collector.start();
  }

  async stop(): Promise<void> {
    await this.collector.stop();
    await this.deps.accessLog?.close();
    this.store.close();
  }

  /** Samples a swarm node's agent took of the containers there: stored as the collector's own
   *  (same keys: container id, app, service), so the views and the autoscaler see them alike. */
  ingest(samples: { ts: number; rows: ContainerRow[] }[]): void {
    for (const s of samples) {
      const rows = s.rows.filter((r) => this.deps.ownsApp?.(r.labels.app) ?? true);
      if (!rows.length) continue;
      this.store.insert(s.ts, rows, []);
      this.remote.add(s.ts, rows);
    }
  }

  /** An app's metrics over the last `sinceMs`, per service, in at most `points` points. */
  view(app: string, opts: { service?: string; sinceMs: number; points: number; now?: number }): MetricsView {
    const now = opts.now ?? Date.now();
    const from = now - opts.sinceMs;
    const tier = tierFor(this.tiers, now, from);
    const q = { service: opts.service, since: from, tier: tier.tier };
    // "Current" is the last couple of samples, whatever the window.
    const recentFrom = now - 2.5 * this.intervalMs;
    const recent = { service: opts.service, since: recentFrom, tier: 0 };
    return metricsView({
      app,
      from,
      to: now,
      points: opts.points,
      minStep: tier.bucketMs || this.intervalMs,
      rows: this.store.containerRows(app, q),
      http: this.store.httpRows(app, q),
      recent: { rows: this.store.containerRows(app, recent), http: this.store.httpRows(app, recent), from: recentFrom, to: now },
    });
  }

  /** Per app, its services summed: CPU and requests/s over the window (the apps list's sparklines). */
  totals(apps: string[], opts: { sinceMs: number; points: number; now?: number }): { times: number[]; step: number; apps: Record<string, AppTotals> } {
    const now = opts.now ?? Date.now();
    let times: number[] = [];
    let step = 0;
    const out: Record<string, AppTotals> = {};
    for (const app of apps) {
      const v = this.view(app, { sinceMs: opts.sinceMs, points: opts.points, now });
      times = v.times;
      step = v.step;
      out[app] = appTotals(v);
    }
    return { times, step, apps: out };
  }

  /** Averages of these containers over [now - windowMs, now]. */
  averages(app: string, ids: string[], windowMs: number, now = Date.now()): Map<string, WindowAverage> {
    const out = new Map<string, WindowAverage & { memDur: number; cpuUs: number }>();
    for (const r of this.store.containerRows(app, { since: now - windowMs, tier: 0, keys: ids })) {
      const a = out.get(r.key) ?? { cpu: 0, memory: 0, memoryLimit: null, coveredMs: 0, memDur: 0, cpuUs: 0 };
      a.coveredMs += r.dur;
      a.cpuUs += r.cpuUs;
      a.memDur += r.mem * r.dur;
      a.memoryLimit = r.memLimit;
      out.set(r.key, a);
    }
    const result = new Map<string, WindowAverage>();
    for (const [id, a] of out)
      result.set(id, { cpu: a.coveredMs ? a.cpuUs / a.coveredMs / 10 : 0, memory: a.coveredMs ? a.memDur / a.coveredMs : 0, memoryLimit: a.memoryLimit, coveredMs: a.coveredMs });
    return result;
  }

  prometheus(platform: PlatformFacts): string {
    const { containers, backends } = this.collector.snapshot();
    const remote = this.remote.current(Date.now() - 5 * this.intervalMs - 30_000);
    const c = this.collector.cost;
    return renderFamilies([
      ...containerFamilies([...containers, ...remote]),
      ...httpFamilies(backends),
      ...platformFamilies(platform, { samples: c.samples, cpuSeconds: c.cpuSeconds, databaseBytes: this.store.sizeBytes() }),
    ]);
  }
}
