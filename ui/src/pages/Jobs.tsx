// An app's batch jobs: the task graph of the last run with each task's state, the run history,
// the next scheduled times, and "Run now". Before the app has jobs (or on a Slipway without
// them) it says so instead of failing.
import { useState } from 'preact/hooks';
import { api, appPath, ApiError } from '../api';
import { useApi } from '../components/hooks';
import { ErrorLine } from '../components/Layout';
import { ago } from '../lib/format';
import { dependencyName, layoutGraph } from '../lib/graph';
import { useLive } from '../live';

interface JobInfo {
  name: string;
  dependsOn: string[];
  instances: number;
  retries: number;
  schedule: string | null;
  lastRun: { id: number; state: string; finishedAt: string | null } | null;
}
interface RunSummary {
  id: number;
  trigger: string;
  schedule: string | null;
  task: string | null;
  release: string | null;
  state: string;
  reason: string | null;
  createdAt: string;
  durationMs: number | null;
}
interface RunDetail extends RunSummary {
  tasks: { name: string; state: string; error?: string }[];
}
interface CronInfo {
  name: string;
  cron: string;
  timezone: string;
  suspended: boolean;
  next: string[];
}

/** A missing route (no jobs on this Slipway) or no release yet means: nothing to show. */
const none = (e: string | null) => e !== null && /no route|no release yet/.test(e);

export function JobsPage(props: { app: string }) {
  const jobs = useApi<{ release: string; jobs: JobInfo[] }>(appPath(props.app, 'jobs'));
  const runs = useApi<RunSummary[]>(appPath(props.app, 'runs?limit=30'));
  const cron = useApi<CronInfo[]>(appPath(props.app, 'cron'));
  const lastId = runs.data?.[0]?.id ?? null;
  const last = useApi<RunDetail>(lastId === null ? null : appPath(props.app, `runs/${lastId}`));
  const [error, setError] = useState<string | null>(null);
  const reload = () => {
    jobs.reload();
    runs.reload();
    cron.reload();
    last.reload();
  };
  useLive(['run', 'deployment'], reload, { app: props.app, minGapMs: 500 });

  const list = jobs.data?.jobs ?? [];
  if (none(jobs.error) || (jobs.data && list.length === 0))
    return (
      <section>
        <h1>Jobs</h1>
        <p class="empty">No jobs. Batch tasks and cron schedules declared in the app's compose file (or app.json cron) appear here with their runs.</p>
      </section>
    );
  const states = new Map((last.data?.tasks ?? []).map((t) => [t.name, t.state]));
  const graph = layoutGraph(list.map((j) => ({ name: j.name, after: j.dependsOn.map(dependencyName) })));
  const W = 170;
  const H = 46;
  const GX = 56;
  const GY = 16;
  const pos = new Map(graph.tasks.map((t) => [t.name, { x: t.column * (W + GX), y: t.row * (H + GY) }]));
  return (
    <section class="jobs-page">
      <div class="page-head">
        <h1>Jobs</h1>
        <span class="muted">{jobs.data?.release}</span>
        <span class="spacer" />
        <button
          type="button"
          class="primary"
          onClick={() => {
            setError(null);
            api(appPath(props.app, 'jobs/run'), { method: 'POST', body: {} }).then(reload, (e: ApiError) => setError(e.message));
          }}
        >
          Run now
        </button>
      </div>
      <ErrorLine error={error ?? (none(jobs.error) ? null : jobs.error)} />
      <div class="panel">
        <h2>
          Last run {last.data ? `#${last.data.id}: ${last.data.state}` : ''} <span class="muted">{last.data ? ago(last.data.createdAt) : ''}</span>
        </h2>
        <div class="scroll-x">
          <svg
            class="graph"
            width={graph.columns * (W + GX)}
            height={Math.max(1, graph.rows) * (H + GY)}
            role="img"
            aria-label={`task graph: ${graph.tasks.map((t) => `${t.name} ${states.get(t.name) ?? 'not run'}`).join(', ')}`}
          >
            {graph.edges.map((e) => {
              const a = pos.get(e.from)!;
              const b = pos.get(e.to)!;
              return <path class="edge" d={`M${a.x + W},${a.y + H / 2} C${a.x + W + GX / 2},${a.y + H / 2} ${b.x - GX / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}`} />;
            })}
            {graph.tasks.map((t) => {
              const p = pos.get(t.name)!;
              const state = states.get(t.name) ?? 'none';
              return (
                <g transform={`translate(${p.x},${p.y})`} class={`task task-${state}`}>
                  <rect width={W} height={H} rx="6" />
                  <text x="10" y="19">
                    {t.name}
                  </text>
                  <text x="10" y="36" class="task-state">
                    {state === 'none' ? 'not run' : state}
                  </text>
                </g>
              );
            })}
          </svg>
        </div>
      </div>
      <div class="grid">
        <div class="panel">
          <h2>Schedules</h2>
          {(cron.data ?? []).length === 0 && <p class="empty">No schedules.</p>}
          <ul class="plain">
            {(cron.data ?? []).map((c) => (
              <li>
                <span class="mono">{c.name}</span> <code>{c.cron}</code> <span class="muted">{c.timezone}</span>
                {c.suspended ? <span class="badge">suspended</span> : <div class="muted">next: {c.next.join(', ') || '—'}</div>}
              </li>
            ))}
          </ul>
        </div>
        <div class="panel wide">
          <h2>Run history</h2>
          <table>
            <thead>
              <tr>
                <th>Run</th>
                <th>State</th>
                <th>Trigger</th>
                <th class="hide-narrow">Release</th>
                <th>When</th>
                <th class="hide-narrow">Took</th>
              </tr>
            </thead>
            <tbody>
              {(runs.data ?? []).map((r) => (
                <tr>
                  <td class="mono">#{r.id}</td>
                  <td class={`run-${r.state}`}>{r.state}</td>
                  <td>{r.schedule ? `schedule ${r.schedule}` : r.trigger}</td>
                  <td class="hide-narrow">{r.release ?? '—'}</td>
                  <td>{ago(r.createdAt)}</td>
                  <td class="hide-narrow">{r.durationMs === null ? '—' : `${(r.durationMs / 1000).toFixed(1)} s`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
