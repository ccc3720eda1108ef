// An app's metrics per service: CPU, memory, network, requests/s and response time over a range
// (in the URL), with the autoscaler's changes marked on every chart. Re-read when the server
// says a new sample is stored.
import { appPath } from '../api';
import { useApi } from '../components/hooks';
import { ErrorLine } from '../components/Layout';
import { TimeChart, type ChartMark, type ChartSeries } from '../components/TimeChart';
import { metricValue } from '../lib/format';
import { useLive } from '../live';
import { appHref } from '../router';
import type { AutoscaleEvent, MetricsView } from '../types';

const RANGES = ['15m', '1h', '6h', '24h', '7d'] as const;

const CHARTS: { title: string; metrics: string[]; unit: string }[] = [
  { title: 'CPU', metrics: ['cpu'], unit: '% of one CPU' },
  { title: 'Memory', metrics: ['memory'], unit: 'bytes' },
  { title: 'Network', metrics: ['netRx', 'netTx'], unit: 'bytes/s' },
  { title: 'Requests', metrics: ['requests'], unit: 'req/s' },
  { title: 'Response time', metrics: ['p50', 'p95'], unit: 'ms' },
];

export function MetricsPage(props: { app: string; search: string }) {
  const range = new URLSearchParams(props.search).get('range') ?? '1h';
  const view = useApi<MetricsView>(appPath(props.app, `metrics?since=${encodeURIComponent(range)}&points=120`));
  const scale = useApi<{ events: AutoscaleEvent[] }>(appPath(props.app, 'autoscale?events=100'));
  useLive(['metrics'], view.reload, { minGapMs: 5000 });
  useLive(['deployment'], scale.reload, { app: props.app, minGapMs: 2000 });

  const v = view.data;
  const marks: ChartMark[] = (scale.data?.events ?? []).map((e) => ({ at: Date.parse(e.createdAt), label: `${e.service} ${e.from}→${e.to}` }));
  return (
    <section class="metrics-page">
      <div class="page-head">
        <h1>Metrics</h1>
        <span class="spacer" />
        <nav class="ranges" aria-label="time range">
          {RANGES.map((r) => (
            <a href={`${appHref(props.app, 'metrics')}?range=${r}`} aria-current={r === range ? 'true' : undefined} class="button ghost small">
              {r}
            </a>
          ))}
        </nav>
      </div>
      <ErrorLine error={view.error} />
      {v && v.services.length === 0 && <p class="empty">No samples yet: metrics appear once the app's containers run (every {Math.round(v.step / 1000)} s).</p>}
      {v && v.services.length > 0 && (
        <>
          <table class="current">
            <thead>
              <tr>
                <th>Service</th>
                {CHARTS.flatMap((c) => c.metrics).map((m) => (
                  <th>{m}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {v.services.map((s) => (
                <tr>
                  <td class="mono">{s.service}</td>
                  {CHARTS.flatMap((c) => c.metrics.map((m) => <td>{metricValue(s.current[m], c.unit)}</td>))}
                </tr>
              ))}
            </tbody>
          </table>
          <div class="charts">
            {CHARTS.map((c) => {
              const series: ChartSeries[] = v.services.flatMap((s) =>
                c.metrics.filter((m) => s.series[m]).map((m) => ({ label: c.metrics.length > 1 ? `${s.service} ${m}` : s.service, values: s.series[m]! })),
              );
              return series.length ? <TimeChart title={c.title} unit={c.unit} times={v.times} series={series} marks={marks} /> : null;
            })}
          </div>
          {marks.length > 0 && (
            <ul class="events" aria-label="autoscale events">
              {(scale.data?.events ?? []).map((e) => (
                <li>
                  <span class="mono">{e.createdAt.replace('T', ' ').slice(0, 19)}</span> {e.service} {e.from} → {e.to} ({e.outcome}): {e.reason}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
