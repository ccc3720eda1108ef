// Job commands: jobs, jobs:run, runs, runs:show, runs:cancel, cron, cron:suspend, cron:resume.
// Every one takes --json; jobs:run --wait follows the run and exits non-zero unless it succeeded.
import type { Command } from 'commander';
import type { ApiClient } from './client.js';
import { printList, printTable } from './output.js';

const app = (name: string) => `/api/apps/${encodeURIComponent(name)}`;

interface Attempt { attempt: number; container: string; exitCode: number | null; startedAt: string; finishedAt: string | null; kept: boolean; error?: string }
interface Task { name: string; state: string; startedAt: string | null; finishedAt: string | null; error?: string; instances: { index: number; state: string; attempts: Attempt[] }[] }
interface RunView {
  id: number; trigger: string; schedule: string | null; scheduledAt: string | null; release: string | null; state: string; reason: string | null;
  durationMs: number | null; imageDigest: string | null; tasks: Task[]; keptContainers: string[]; createdAt: string;
}

const seconds = (ms: number | null) => (ms === null ? null : `${(ms / 1000).toFixed(1)} s`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function printRun(r: RunView): void {
  console.log(`=== run ${r.id} (${r.trigger}${r.schedule ? ` ${r.schedule} @ ${r.scheduledAt}` : ''}) of ${r.release ?? '-'}: ${r.state}${r.reason ? ` — ${r.reason}` : ''}`);
  console.log(`Image:    ${r.imageDigest ?? '-'}`);
  console.log(`Duration: ${seconds(r.durationMs) ?? '(running)'}`);
  const rows = r.tasks.flatMap((t): Record<string, unknown>[] =>
    t.instances.length
      ? t.instances.flatMap((i) => i.attempts.map((a) => ({ task: t.name, instance: i.index, attempt: a.attempt, exit: a.error ?? a.exitCode, container: a.container, kept: a.kept ? 'kept' : '' })))
      : [{ task: t.name, instance: '-', attempt: '-', exit: t.error ?? t.state, container: '', kept: '' }],
  );
  printTable(rows, ['task', 'instance', 'attempt', 'exit', 'container', 'kept']);
  console.log(`Tasks:    ${r.tasks.map((t) => `${t.name} ${t.state}`).join(', ')}`);
}

export function registerJobCommands(program: Command, client: () => ApiClient): void {
  program
    .command('jobs <app>')
    .description("the app's job graph: each task, what it waits for, and its last result")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const r = await client().get<{ release: string; jobs: Record<string, unknown>[] }>(`${app(name)}/jobs`);
      if (opts.json) return console.log(JSON.stringify(r, null, 2));
      const rows = r.jobs.map((j) => {
        const last = j.lastRun as { id: number; state: string } | null;
        return { ...j, after: (j.dependsOn as string[]).join(', ') || '-', last: last ? `run ${last.id}: ${last.state}` : '-' };
      });
      printTable(rows, ['name', 'after', 'instances', 'retries', 'removeContainers', 'schedule', 'last']);
    });

  program
    .command('jobs:run <app>')
    .description("run the app's job graph now at its current release (or one task)")
    .option('--task <name>', 'run only this task')
    .option('--wait', 'follow the run until it ends; exit non-zero unless it succeeded')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { task?: string; wait?: boolean; json?: boolean }) => {
      const api = client();
      let run = await api.post<RunView>(`${app(name)}/jobs/run`, opts.task ? { task: opts.task } : {});
      if (!opts.json) console.log(`-----> Started run ${run.id} of ${run.release}${opts.task ? ` (task ${opts.task})` : ''}`);
      if (opts.wait) {
        const seen = new Map<string, string>();
        while (run.state === 'running') {
          await sleep(500);
          run = await api.get<RunView>(`${app(name)}/runs/${run.id}`);
          if (!opts.json)
            for (const t of run.tasks) if (seen.get(t.name) !== t.state && t.state !== 'pending') (seen.set(t.name, t.state), console.log(`       ${t.name}: ${t.state}${t.error ? ` (${t.error})` : ''}`));
        }
        if (run.state !== 'succeeded') process.exitCode = 1;
      }
      if (opts.json) console.log(JSON.stringify(run, null, 2));
      else if (opts.wait) console.log(`-----> Run ${run.id} ${run.state}${run.reason ? `: ${run.reason}` : ''} (${seconds(run.durationMs)})`);
    });

  program
    .command('runs <app>')
    .description('run history: id, trigger (manual/schedule/deploy), release, state, duration')
    .option('--schedule <name>', 'only the runs of this schedule')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { schedule?: string; json?: boolean }) => {
      const q = opts.schedule ? `?schedule=${encodeURIComponent(opts.schedule)}` : '';
      const rows = await client().get<Record<string, unknown>[]>(`${app(name)}/runs${q}`);
      const view = rows.map((r) => ({ ...r, duration: seconds(r.durationMs as number | null), when: r.scheduledAt ?? r.createdAt }));
      printList(opts.json ? rows : view, ['id', 'trigger', 'schedule', 'when', 'release', 'state', 'duration', 'reason'], opts.json);
    });

  program
    .command('runs:show <app> <id>')
    .description("a run's tasks, instances, attempts, exit codes and kept containers")
    .option('--json', 'print JSON')
    .action(async (name: string, id: string, opts: { json?: boolean }) => {
      const r = await client().get<RunView>(`${app(name)}/runs/${encodeURIComponent(id)}`);
      if (opts.json) return console.log(JSON.stringify(r, null, 2));
      printRun(r);
    });

  program
    .command('runs:cancel <app> <id>')
    .description('cancel a run: its containers are stopped, nothing new starts')
    .option('--json', 'print JSON')
    .action(async (name: string, id: string, opts: { json?: boolean }) => {
      const r = await client().post<RunView>(`${app(name)}/runs/${encodeURIComponent(id)}/cancel`);
      if (opts.json) return console.log(JSON.stringify(r, null, 2));
      console.log(`-----> Cancelling run ${r.id}`);
    });

  program
    .command('cron <app>')
    .description('schedules: cron, time zone, next 3 times, last result')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const rows = await client().get<Record<string, unknown>[]>(`${app(name)}/cron`);
      const view = rows.map((r) => {
        const last = r.last as { id: number; state: string; scheduledAt: string } | null;
        return { ...r, next: r.suspended ? '(suspended)' : (r.next as string[]).join(' | '), last: last ? `${last.scheduledAt} run ${last.id}: ${last.state}` : '-' };
      });
      printList(opts.json ? rows : view, ['name', 'cron', 'timezone', 'runs', 'concurrency', 'next', 'last'], opts.json);
    });

  for (const action of ['suspend', 'resume'] as const) {
    program
      .command(`cron:${action} <app> [name]`)
      .description(action === 'suspend' ? "stop an app's schedules (or one) from starting runs" : 'start suspended schedules again (ticks missed meanwhile do not run)')
      .option('--json', 'print JSON')
      .action(async (name: string, schedule: string | undefined, opts: { json?: boolean }) => {
        const rows = await client().post<Record<string, unknown>[]>(`${app(name)}/cron/${action}`, schedule ? { name: schedule } : {});
        if (opts.json) return console.log(JSON.stringify(rows, null, 2));
        console.log(`-----> ${action === 'suspend' ? 'Suspended' : 'Resumed'} ${schedule ?? rows.map((r) => r.name).join(', ')}`);
      });
  }
}
