// Compact text charts for `slipway metrics` (pure): one sparkline per metric, scaled to its own
// maximum, with the current and the highest value in the metric's unit.
import type { MetricName, MetricsView } from '../metrics/query.js';

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: (number | null)[]): string {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  return values
    .map((v) => {
      if (v === null) return ' ';
      if (max <= 0) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1) + 0.5))];
    })
    .join('');
}

export function formatValue(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (unit === 'bytes' || unit === 'bytes/s') {
    const steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let x = v;
    let i = 0;
    while (Math.abs(x) >= 1024 && i < steps.length - 1) {
      x /= 1024;
      i++;
    }
    return `${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${steps[i]}${unit === 'bytes/s' ? '/s' : ''}`;
  }
  const n = v >= 100 ? Math.round(v).toString() : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (unit === '% of one CPU') return `${n} %`;
  if (unit === 'count') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  return `${n} ${unit}`;
}

/** The metrics shown, in order, with their labels. */
const ROWS: [MetricName, string][] = [
  ['cpu', 'cpu'],
  ['memory', 'memory'],
  ['ioRead', 'disk read'],
  ['ioWrite', 'disk write'],
  ['netRx', 'net in'],
  ['netTx', 'net out'],
  ['restarts', 'restarts'],
  ['requests', 'requests'],
  ['r5xx', '5xx'],
  ['p50', 'p50'],
  ['p95', 'p95'],
  ['sessions', 'sessions'],
  ['queue', 'queue'],
];

function duration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${+(ms / 1000).toFixed(1)}s`;
}

export function renderCharts(view: MetricsView): string {
  const lines = [`=== ${view.app}: last ${duration(view.to - view.from)}, one mark = ${duration(view.step)}`];
  if (!view.services.length) lines.push('(no samples yet: the collector samples every SLIPWAY_METRICS_INTERVAL)');
  for (const s of view.services) {
    const replicas = s.current.replicas;
    lines.push('', `${s.service}${replicas !== undefined && replicas !== null ? `  ${replicas} replica${replicas === 1 ? '' : 's'}` : ''}`);
    for (const [m, label] of ROWS) {
      const values = s.series[m];
      if (!values) continue;
      const unit = view.units[m];
      const peak = Math.max(...values.filter((v): v is number => v !== null), -Infinity);
      let now = formatValue(s.current[m], unit);
      if (m === 'memory' && s.current.memoryLimit) now += ` of ${formatValue(s.current.memoryLimit, 'bytes')}`;
      lines.push(`  ${label.padEnd(10)} ${sparkline(values)}  now ${now.padEnd(12)} max ${peak === -Infinity ? '-' : formatValue(peak, unit)}`);
    }
  }
  return lines.join('\n');
}
