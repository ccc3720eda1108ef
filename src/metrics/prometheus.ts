// GET /metrics in the Prometheus text format (pure): cAdvisor's names for container figures
// (labelled app, service, release, color and the container's name), `slipway_*` for the rest.
// https://prometheus.io/docs/instrumenting/exposition_formats/
import type { BackendReading, ContainerReading } from './collector.js';

export type Labels = Record<string, string | number | null | undefined>;

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  samples: { labels: Labels; value: number; suffix?: string }[];
}

/** What the rest of the platform reports, gathered by the composition root. */
export interface PlatformFacts {
  deploys: { trigger: string; status: string; count: number }[];
  /** Seconds each finished deployment took. */
  deployDurations: number[];
  queued: number;
  running: number;
  logLinesShipped: number;
  /** Families other stages add (the autoscaler's). */
  extra?: Family[];
}

export interface CollectorFacts {
  samples: number;
  cpuSeconds: number;
  databaseBytes: number;
}

const DEPLOY_BUCKETS = [5, 10, 30, 60, 120, 300, 600, 1800];

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}="${escape(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderFamilies(families: Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${s.suffix ?? ''}${labelText(s.labels)} ${num(s.value)}`);
  }
  return out.join('\n') + '\n';
}

const containerLabels = (c: ContainerReading): Labels => ({
  name: c.labels.name,
  id: `/docker/${c.id}`,
  app: c.labels.app,
  service: c.labels.service,
  release: c.labels.release === null ? null : `v${c.labels.release}`,
  color: c.labels.color ?? '',
});

export function containerFamilies(containers: ContainerReading[]): Family[] {
  const f = (name: string, type: Family['type'], help: string, value: (c: ContainerReading) => number | null): Family => ({
    name,
    type,
    help,
    samples: containers.flatMap((c) => {
      const v = value(c);
      return v === null ? [] : [{ labels: containerLabels(c), value: v }];
    }),
  });
  return [
    f('container_cpu_usage_seconds_total', 'counter', 'Cumulative CPU time consumed in seconds.', (c) => c.usage.cpuSeconds),
    f('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes (usage minus inactive file cache).', (c) => c.usage.memoryWorkingSet),
    f('container_spec_memory_limit_bytes', 'gauge', 'Memory limit for the container (0: none).', (c) => c.usage.memoryLimit ?? 0),
    f('container_fs_reads_bytes_total', 'counter', 'Cumulative count of bytes read from block devices.', (c) => c.usage.ioReadBytes),
    f('container_fs_writes_bytes_total', 'counter', 'Cumulative count of bytes written to block devices.', (c) => c.usage.ioWriteBytes),
    f('container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received (all interfaces but loopback).', (c) => c.usage.netRxBytes),
    f('container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted (all interfaces but loopback).', (c) => c.usage.netTxBytes),
    f('slipway_container_restarts_total', 'counter', 'Times Docker restarted the container (restart policy).', (c) => c.restarts),
  ];
}

export function httpFamilies(backends: BackendReading[]): Family[] {
  const l = (b: BackendReading): Labels => ({ app: b.labels.app, service: b.labels.service });
  return [
    {
      name: 'slipway_http_requests_total',
      type: 'counter',
      help: 'HTTP requests HAProxy answered for the service, by status class (counted since Slipway started).',
      samples: backends.flatMap((b) => [
        { labels: { ...l(b), code: '2xx' }, value: b.r2xx },
        { labels: { ...l(b), code: '4xx' }, value: b.r4xx },
        { labels: { ...l(b), code: '5xx' }, value: b.r5xx },
        { labels: { ...l(b), code: 'other' }, value: Math.max(0, b.requests - b.r2xx - b.r4xx - b.r5xx) },
      ]),
    },
    {
      name: 'slipway_http_response_time_seconds',
      type: 'gauge',
      help: "Percentiles of the time to the app's response headers over the last sample interval (from HAProxy's access log).",
      samples: backends.flatMap((b) =>
        ([['0.5', b.p50], ['0.95', b.p95]] as const).flatMap(([q, v]) => (v === null ? [] : [{ labels: { ...l(b), quantile: q }, value: v / 1000 }])),
      ),
    },
    { name: 'slipway_http_sessions', type: 'gauge', help: 'Requests being served now.', samples: backends.map((b) => ({ labels: l(b), value: b.sessions })) },
    { name: 'slipway_http_queue', type: 'gauge', help: 'Requests waiting for a free replica now.', samples: backends.map((b) => ({ labels: l(b), value: b.queue })) },
  ];
}

export function platformFamilies(p: PlatformFacts, c: CollectorFacts): Family[] {
  const sorted = [...p.deployDurations].sort((a, b) => a - b);
  const le = (x: number) => sorted.filter((d) => d <= x).length;
  return [
    {
      name: 'slipway_deploys_total',
      type: 'counter',
      help: 'Deployments by trigger and outcome.',
      samples: p.deploys.map((d) => ({ labels: { trigger: d.trigger, status: d.status }, value: d.count })),
    },
    {
      name: 'slipway_deploy_duration_seconds',
      type: 'histogram',
      help: 'How long finished deployments took, from start to end.',
      samples: [
        ...DEPLOY_BUCKETS.map((b) => ({ suffix: '_bucket', labels: { le: String(b) }, value: le(b) })),
        { suffix: '_bucket', labels: { le: '+Inf' }, value: sorted.length },
        { suffix: '_sum', labels: {}, value: sorted.reduce((a, b) => a + b, 0) },
        { suffix: '_count', labels: {}, value: sorted.length },
      ],
    },
    { name: 'slipway_deploy_queue_depth', type: 'gauge', help: 'Deployments waiting to run.', samples: [{ labels: {}, value: p.queued }] },
    { name: 'slipway_deploys_running', type: 'gauge', help: 'Deployments running now.', samples: [{ labels: {}, value: p.running }] },
    { name: 'slipway_log_lines_shipped_total', type: 'counter', help: 'Log lines written to the log store since Slipway started.', samples: [{ labels: {}, value: p.logLinesShipped }] },
    { name: 'slipway_metrics_samples_total', type: 'counter', help: 'Samples the metrics collector took.', samples: [{ labels: {}, value: c.samples }] },
    { name: 'slipway_metrics_sample_cpu_seconds_total', type: 'counter', help: "CPU time Slipway spent taking samples.", samples: [{ labels: {}, value: c.cpuSeconds }] },
    { name: 'slipway_metrics_database_bytes', type: 'gauge', help: 'Bytes the metrics database holds.', samples: [{ labels: {}, value: c.databaseBytes }] },
    ...(p.extra ?? []),
  ];
}
