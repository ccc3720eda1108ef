// `slipway metrics APP`: current values and a text chart per metric for each service; --json
// prints the API's answer (the same the dashboard draws).
import type { Command } from 'commander';
import type { MetricsView } from '../metrics/query.js';
import type { ApiClient } from './client.js';
import { renderCharts } from './chart.js';

export function registerMetricsCommand(program: Command, client: () => ApiClient): void {
  program
    .command('metrics <app>')
    .description("an app's CPU, memory, disk, network, restarts and HTTP figures, now and as text charts")
    .option('--service <name>', 'only this service')
    .option('--since <time>', 'how far back (15m, 1h, 7d)', '1h')
    .option('--points <n>', 'points per chart', '60')
    .option('--json', 'print JSON')
    .action(async (app: string, opts: { service?: string; since: string; points: string; json?: boolean }) => {
      const q = new URLSearchParams({ since: opts.since, points: opts.points });
      if (opts.service) q.set('service', opts.service);
      const view = await client().get<MetricsView>(`/api/apps/${encodeURIComponent(app)}/metrics?${q.toString()}`);
      console.log(opts.json ? JSON.stringify(view, null, 2) : renderCharts(view));
    });
}
