// What `slipway metrics APP` and the dashboard show (pure over the store's rows): per service,
// the current values and one series per metric over a window, in at most `points` buckets.
// Per container: counters become rates (sum / duration), gauges time-weighted means; a service's
// value is the sum over its containers (CPU 150 = one and a half CPUs), its HTTP values its backend's.
import type { StoredContainerRow, StoredHttpRow } from './store.js';

export const CONTAINER_METRICS = ['cpu', 'memory', 'memoryLimit', 'ioRead', 'ioWrite', 'netRx', 'netTx', 'restarts', 'replicas'] as const;
export const HTTP_METRICS = ['requests', 'r2xx', 'r4xx', 'r5xx', 'p50', 'p95', 'sessions', 'queue'] as const;
export type MetricName = (typeof CONTAINER_METRICS)[number] | (typeof HTTP_METRICS)[number];

/** Units, for charts and JSON readers. */
export const UNITS: Record<MetricName, string> = {
  cpu: '% of one CPU', memory: 'bytes', memoryLimit: 'bytes', ioRead: 'bytes/s', ioWrite: 'bytes/s', netRx: 'bytes/s', netTx: 'bytes/s',
  restarts: 'count', replicas: 'count', requests: 'req/s', r2xx: 'req/s', r4xx: 'req/s', r5xx: 'req/s', p50: 'ms', p95: 'ms',
  sessions: 'count', queue: 'count',
};

export interface ServiceMetrics {
  service: string;
  current: Partial<Record<MetricName, number | null>>;
  series: Partial<Record<MetricName, (number | null)[]>>;
}

export interface MetricsView {
  app: string;
  from: number;
  to: number;
  /** Width of one point, ms. */
  step: number;
  times: number[];
  services: ServiceMetrics[];
  units: typeof UNITS;
}

type Values = Partial<Record<MetricName, number | null>>;

/** Per (service, bucket): the container metrics summed over containers. */
function containerBuckets(rows: StoredContainerRow[], from: number, step: number, n: number): Map<string, Values[]> {
  // service → bucket → container → sums
  const acc = new Map<string, Map<number, Map<number, { dur: number; cpu: number; memDur: number; limit: number | null; io: number[]; restarts: number }>>>();
  for (const r of rows) {
    const b = Math.min(n - 1, Math.floor((r.ts - from) / step));
    if (b < 0) continue;
    const byBucket = acc.get(r.labels.service) ?? new Map();
    acc.set(r.labels.service, byBucket);
    const byContainer = byBucket.get(b) ?? new Map();
    byBucket.set(b, byContainer);
    const c = byContainer.get(r.series) ?? { dur: 0, cpu: 0, memDur: 0, limit: null, io: [0, 0, 0, 0], restarts: 0 };
    c.dur += r.dur;
    c.cpu += r.cpuUs;
    c.memDur += r.mem * r.dur;
    c.limit = r.memLimit ?? c.limit;
    [r.ioRead, r.ioWrite, r.netRx, r.netTx].forEach((v, i) => (c.io[i]! += v));
    c.restarts = Math.max(c.restarts, r.restarts);
    byContainer.set(r.series, c);
  }
  const out = new Map<string, Values[]>();
  for (const [service, byBucket] of acc) {
    const list: Values[] = Array.from({ length: n }, () => ({}));
    for (const [b, byContainer] of byBucket) {
      const v: Values = { cpu: 0, memory: 0, memoryLimit: null, ioRead: 0, ioWrite: 0, netRx: 0, netTx: 0, restarts: 0, replicas: byContainer.size };
      for (const c of byContainer.values()) {
        if (c.dur <= 0) continue;
        v.cpu! += c.cpu / c.dur / 10;
        v.memory! += c.memDur / c.dur;
        if (c.limit !== null) v.memoryLimit = (v.memoryLimit ?? 0) + c.limit;
        (['ioRead', 'ioWrite', 'netRx', 'netTx'] as const).forEach((k, i) => (v[k]! += (c.io[i]! * 1000) / c.dur));
        v.restarts! += c.restarts;
      }
      list[b] = v;
    }
    out.set(service, list);
  }
  return out;
}

function httpBuckets(rows: StoredHttpRow[], from: number, step: number, n: number): Map<string, Values[]> {
  const acc = new Map<string, { dur: number; req: number[]; sessDur: number; queueDur: number; p50: number; p95: number; timed: number }[]>();
  for (const r of rows) {
    const b = Math.min(n - 1, Math.floor((r.ts - from) / step));
    if (b < 0) continue;
    const list = acc.get(r.labels.service) ?? Array.from({ length: n }, () => ({ dur: 0, req: [0, 0, 0, 0], sessDur: 0, queueDur: 0, p50: 0, p95: 0, timed: 0 }));
    acc.set(r.labels.service, list);
    const a = list[b]!;
    a.dur += r.dur;
    [r.requests, r.r2xx, r.r4xx, r.r5xx].forEach((v, i) => (a.req[i]! += v));
    a.sessDur += r.sessions * r.dur;
    a.queueDur += r.queue * r.dur;
    if (r.p50 !== null && r.p95 !== null && r.timed > 0) {
      a.p50 += r.p50 * r.timed;
      a.p95 += r.p95 * r.timed;
      a.timed += r.timed;
    }
  }
  const out = new Map<string, Values[]>();
  for (const [service, list] of acc)
    out.set(
      service,
      list.map((a): Values => {
        if (a.dur <= 0) return {};
        const [requests, r2xx, r4xx, r5xx] = a.req.map((v) => (v * 1000) / a.dur);
        return {
          requests, r2xx, r4xx, r5xx,
          sessions: a.sessDur / a.dur,
          queue: a.queueDur / a.dur,
          p50: a.timed ? a.p50 / a.timed : null,
          p95: a.timed ? a.p95 / a.timed : null,
        };
      }),
    );
  return out;
}

export interface ViewInput {
  app: string;
  from: number;
  to: number;
  points: number;
  /** The tier's bucket (or the sampling interval for raw rows): a point is never finer. */
  minStep: number;
  rows: StoredContainerRow[];
  http: StoredHttpRow[];
  /** Rows of the last few raw samples, for the current values. */
  recent: { rows: StoredContainerRow[]; http: StoredHttpRow[]; from: number; to: number };
}

export function metricsView(input: ViewInput): MetricsView {
  const span = Math.max(1, input.to - input.from);
  const step = Math.max(input.minStep, Math.ceil(span / Math.max(1, input.points)));
  const n = Math.max(1, Math.ceil(span / step));
  const containers = containerBuckets(input.rows, input.from, step, n);
  const http = httpBuckets(input.http, input.from, step, n);
  const rSpan = Math.max(1, input.recent.to - input.recent.from);
  const nowC = containerBuckets(input.recent.rows, input.recent.from, rSpan, 1);
  const nowH = httpBuckets(input.recent.http, input.recent.from, rSpan, 1);
  const services = [...new Set([...containers.keys(), ...http.keys(), ...nowC.keys(), ...nowH.keys()])].sort();
  return {
    app: input.app,
    from: input.from,
    to: input.to,
    step,
    times: Array.from({ length: n }, (_, i) => input.from + i * step),
    units: UNITS,
    services: services.map((service) => {
      const series: ServiceMetrics['series'] = {};
      const c = containers.get(service);
      const h = http.get(service);
      for (const m of CONTAINER_METRICS) if (c) series[m] = c.map((v) => v[m] ?? null);
      for (const m of HTTP_METRICS) if (h) series[m] = h.map((v) => v[m] ?? null);
      return { service, current: { ...nowC.get(service)?.[0], ...nowH.get(service)?.[0] }, series };
    }),
  };
}

/** An app's services summed per point (null where no service has a value). */
export interface AppTotals {
  cpu: (number | null)[];
  requests: (number | null)[];
}

export function appTotals(view: MetricsView): AppTotals {
  const sum = (m: MetricName) =>
    view.times.map((_, i) => {
      let total: number | null = null;
      for (const s of view.services) {
        const v = s.series[m]?.[i];
        if (v !== null && v !== undefined) total = (total ?? 0) + v;
      }
      return total;
    });
  return { cpu: sum('cpu'), requests: sum('requests') };
}
