// `slipway autoscale APP` (settings, the current decision, recent changes), `autoscale:set APP
// SERVICE KEY=VALUE…` and `autoscale:unset APP SERVICE [KEY…]` — the Procfile app's way to what a
// compose file says with slipway.autoscale.* labels.
import type { Command } from 'commander';
import type { ServiceScaling } from '../scale/autoscaler.js';
import { settingsFromWords } from '../scale/rule.js';
import type { ScaleEvent } from '../state/scaling.js';
import type { ApiClient } from './client.js';

const path = (app: string) => `/api/apps/${encodeURIComponent(app)}/autoscale`;

function ruleText(s: ServiceScaling): string {
  if (!s.rule) return s.error ? `invalid: ${s.error}` : 'off';
  const r = s.rule;
  const parts = [
    r.maxCpu !== undefined ? `max_cpu=${r.maxCpu}` : '',
    r.minCpu !== undefined ? `min_cpu=${r.minCpu}` : '',
    r.maxMemory !== undefined ? `max_memory=${r.maxMemory}` : '',
    r.minMemory !== undefined ? `min_memory=${r.minMemory}` : '',
    `step=${r.step}`,
    `instances ${r.minInstances}–${r.maxInstances}`,
  ];
  return parts.filter(Boolean).join(' ');
}

export function registerAutoscaleCommands(program: Command, client: () => ApiClient): void {
  program
    .command('autoscale <app>')
    .description("autoscaling: each service's settings, the current decision and recent changes")
    .option('--json', 'print JSON')
    .action(async (app: string, opts: { json?: boolean }) => {
      const r = await client().get<{ paused: boolean; services: ServiceScaling[]; events: ScaleEvent[] }>(path(app));
      if (opts.json) return console.log(JSON.stringify(r, null, 2));
      console.log(`=== ${app} autoscaling${r.paused ? ' (paused while a deploy runs)' : ''}`);
      for (const s of r.services) {
        console.log(`${s.service.padEnd(10)} ${s.replicas} replica${s.replicas === 1 ? '' : 's'}   ${ruleText(s)}`);
        if (s.decision) console.log(`${''.padEnd(10)} ${s.decision.at.slice(11, 19)} ${s.decision.action === 'none' ? 'no change' : `scale ${s.decision.action} to ${s.decision.to}`}: ${s.decision.reason}`);
      }
      console.log('\nRecent changes:');
      if (!r.events.length) console.log('(none)');
      for (const e of r.events) {
        const m = Object.entries(e.metrics).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(1) : v}`).join(' ');
        console.log(`${e.createdAt}  ${e.service} ${e.from} → ${e.to}  ${e.outcome}${e.error ? ` (${e.error})` : ''}  ${e.reason}  [${m}]`);
      }
    });

  program
    .command('autoscale:set <app> <service> <settings...>')
    .description('set autoscaling for a service: max_cpu=70 min_cpu=30 max_memory=80 min_memory=20 step=1 min_instances=1 max_instances=8 (KEY= removes one)')
    .action(async (app: string, service: string, words: string[]) => {
      const { set, unset } = settingsFromWords(words);
      const r = await client().post<{ rule: unknown }>(path(app), { service, set, unset });
      console.log(`-----> ${app} ${service} autoscaling: ${r.rule ? JSON.stringify(r.rule) : 'off'}`);
    });

  program
    .command('autoscale:unset <app> <service> [keys...]')
    .description('remove autoscaling settings set with autoscale:set (all of them without KEYs)')
    .action(async (app: string, service: string, keys: string[] = []) => {
      const r = await client().post<{ rule: unknown }>(path(app), { service, set: {}, unset: keys });
      console.log(`-----> ${app} ${service} autoscaling: ${r.rule ? JSON.stringify(r.rule) : 'off'}`);
    });
}
