// Job runs benchmark: the batch graph of issue 13 (extract → transform ×4 → report) run by
// Slipway next to the same graph as a plain sequence of `docker run`s in the same run, the delay
// from a task's exit to its dependents' start (Docker events: `die` → `start`; and `die` → the
// moment Slipway decided to start them, the attempt's recorded start, to tell Slipway's reaction
// from the Engine's own start-up time), and how late
// scheduled ticks are decided and their containers started (a per-second schedule, ≥ 50 ticks).
// Run: npx tsx bench/jobs.ts [runs=5] [ticks=60]   (needs `npm run up`'s daemons; own data dir)
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { HAPROXY, requireAll } from './lib/needs.js';
import { createDocker } from '../src/docker/client.js';
import { repoFrom, pushUrl } from '../test/helpers/git.js';
import { scheduledCompose } from '../test/helpers/jobs.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../test/helpers/server.js';

const run = promisify(execFile);
const docker = createDocker({ dockerSocket: '/var/run/docker.sock' });
const RUNS = Number(process.argv[2] ?? 5);
const TICKS = Number(process.argv[3] ?? 60);

interface DockerEvent { status: string; id: string; timeNano: number; Actor: { Attributes: Record<string, string> } }

/** Container start/die events of containers named `prefix…`, with nanosecond times, until stopped. */
async function watchEvents(prefix: string) {
  const events: { what: string; name: string; t: number }[] = [];
  const ac = new AbortController();
  const stream = (await docker.getEvents({ filters: { type: ['container'], event: ['start', 'die'] }, abortSignal: ac.signal } as never)) as unknown as Readable;
  let buf = '';
  stream.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl)) as DockerEvent;
      buf = buf.slice(nl + 1);
      const name = e.Actor.Attributes.name ?? '';
      if (name.startsWith(prefix)) events.push({ what: e.status, name, t: e.timeNano / 1e6 });
    }
  });
  stream.on('error', () => undefined);
  return { events, stop: () => ac.abort() };
}

/** For each run key: dependents' starts after the last `die` of what they wait for (ms). */
function dependentDelays(events: { what: string; name: string; t: number }[], keyOf: (name: string) => { run: string; task: string } | null): number[] {
  const byRun = new Map<string, { what: string; task: string; t: number }[]>();
  for (const e of events) {
    const k = keyOf(e.name);
    if (!k) continue;
    byRun.set(k.run, [...(byRun.get(k.run) ?? []), { what: e.what, task: k.task, t: e.t }]);
  }
  const out: number[] = [];
  for (const evs of byRun.values()) {
    const lastDie = (task: string) => Math.max(...evs.filter((e) => e.what === 'die' && e.task === task).map((e) => e.t));
    for (const [dep, next] of [['extract', 'transform'], ['transform', 'report']]) {
      const firstStart = Math.min(...evs.filter((e) => e.what === 'start' && e.task === next).map((e) => e.t));
      const allStarts = evs.filter((e) => e.what === 'start' && e.task === next).map((e) => e.t);
      if (!Number.isFinite(firstStart)) continue;
      for (const s of allStarts) out.push(s - lastDie(dep!));
    }
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;
const sec = (x: number) => `${(x / 1000).toFixed(2)} s`;

async function deploy(s: TestServer, prefix: string, files: Record<string, string>, config: Record<string, string>) {
  const app = uniqueName(prefix);
  await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) });
  await s.api(`/api/apps/${app}/config`, { method: 'POST', body: JSON.stringify({ set: config }) });
  const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/batch-app'), files);
  await repo.commit('bench');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  if (pushed.code !== 0) throw new Error(pushed.output);
  return app;
}

/** Slipway's reaction: a dependent's first attempt recorded (it is then started) after the `die`. */
function decisionDelays(events: { what: string; name: string; t: number }[], re: RegExp, decided: { run: string; task: string; t: number }[]): number[] {
  const lastDie = (run: string, task: string) =>
    Math.max(...events.filter((e) => e.what === 'die' && re.exec(e.name)?.[2] === run && re.exec(e.name)?.[1] === task).map((e) => e.t));
  const dep: Record<string, string> = { transform: 'extract', report: 'transform' };
  return decided.filter((d) => dep[d.task]).map((d) => d.t - lastDie(d.run, dep[d.task]!)).filter(Number.isFinite);
}

async function slipwayGraph(s: TestServer, app: string): Promise<{ walls: number[]; delays: number[]; decided: number[] }> {
  const watch = await watchEvents(`slipway-${app}-`);
  const walls: number[] = [];
  const decided: { run: string; task: string; t: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = (await (await s.api(`/api/apps/${app}/jobs/run`, { method: 'POST', body: '{}' })).json()) as { id: number };
    for (;;) {
      const v = (await (await s.api(`/api/apps/${app}/runs/${r.id}`)).json()) as { state: string };
      if (v.state !== 'running') {
        if (v.state !== 'succeeded') throw new Error(`run ${r.id} ${v.state}`);
        const full = v as unknown as { tasks: { name: string; instances: { attempts: { startedAt: string }[] }[] }[] };
        for (const t of full.tasks)
          for (const i of t.instances) if (i.attempts[0]) decided.push({ run: String(r.id), task: t.name, t: Date.parse(i.attempts[0].startedAt) });
        break;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    walls.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, 500));
  watch.stop();
  const re = new RegExp(`^slipway-${app}-(extract|transform|report)-run(\\d+)-`);
  const delays = dependentDelays(watch.events, (n) => (re.exec(n) ? { run: re.exec(n)![2]!, task: re.exec(n)![1]! } : null));
  return { walls, delays, decided: decisionDelays(watch.events, re, decided) };
}

/** The same graph as plain `docker run`s, one after another (the floor a shell script gets). */
async function plainGraph(image: string, app: string): Promise<{ walls: number[]; delays: number[] }> {
  const vol = `slipway-bench-${app}`;
  const prefix = `bench-plain-${app}-`;
  const watch = await watchEvents(prefix);
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const id = `p${i}`;
    const dockerRun = (task: string, index: number, cmd: string) =>
      run('docker', ['run', '--rm', '--name', `${prefix}${id}-${task}-${index}`, '-v', `${vol}:/data`, '-e', `SLIPWAY_RUN_ID=${id}`, '-e', `SLIPWAY_JOB_INDEX=${index}`,
        '-e', 'SLIPWAY_JOB_INSTANCES=4', '-e', 'EXTRACT_FAILS=0', '-e', 'TRANSFORM_SECONDS=1', image, 'python3', cmd]);
    await dockerRun('extract', 0, 'extract.py');
    for (let k = 0; k < 4; k++) await dockerRun('transform', k, 'transform.py');
    await dockerRun('report', 0, 'report.py');
    walls.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, 500));
  watch.stop();
  await run('docker', ['volume', 'rm', '-f', vol]).catch(() => undefined);
  // Sequential: each start follows the previous container's exit.
  const sorted = watch.events.sort((a, b) => a.t - b.t);
  const delays: number[] = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.what === 'start' && sorted[i - 1]!.what === 'die' && sorted[i]!.name.split('-').slice(-3, -2)[0] === sorted[i - 1]!.name.split('-').slice(-3, -2)[0]) delays.push(sorted[i]!.t - sorted[i - 1]!.t);
  return { walls, delays };
}

async function tickLateness(s: TestServer): Promise<{ decided: number[]; started: number[]; ticks: number }> {
  const app = await deploy(s, 'bench-cron', { 'compose.yaml': scheduledCompose('* * * * * *', 0.1, { 'slipway.schedule.concurrency': 'allow', 'slipway.job.remove_containers': 'remove-all', 'slipway.schedule.history': '500' }) }, {});
  await new Promise((r) => setTimeout(r, (TICKS + 2) * 1000));
  await s.api(`/api/apps/${app}/cron/suspend`, { method: 'POST', body: '{}' });
  await new Promise((r) => setTimeout(r, 5000));
  type Row = { id: number; state: string; scheduledAt: string; createdAt: string };
  const rows = (await (await s.api(`/api/apps/${app}/runs?limit=1000`)).json()) as Row[];
  const decided = rows.map((r) => Date.parse(r.createdAt) - Date.parse(r.scheduledAt));
  const started: number[] = [];
  for (const r of rows.filter((r) => r.state === 'succeeded').slice(0, TICKS)) {
    const full = (await (await s.api(`/api/apps/${app}/runs/${r.id}`)).json()) as { tasks: { instances: { attempts: { startedAt: string }[] }[] }[] };
    const a = full.tasks[0]?.instances[0]?.attempts[0];
    if (a) started.push(Date.parse(a.startedAt) - Date.parse(r.scheduledAt));
  }
  await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' });
  return { decided, started, ticks: rows.length };
}

async function main() {
  await requireAll('jobs', [HAPROXY, { service: 'docker' }, { service: 'redis' }, { service: 'registry' }]);
  const s = await startTestServer();
  let app = '';
  try {
    app = await deploy(s, 'bench-etl', {}, { EXTRACT_FAILS: '0', TRANSFORM_SECONDS: '1' });
    const release = ((await (await s.api(`/api/apps/${app}/releases`)).json()) as { image: string }[])[0]!.image;
    await slipwayGraph(s, app); // warm-up: image pulled, volume created
    const slip = await slipwayGraph(s, app);
    const plain = await plainGraph(release, app);
    const ticks = await tickLateness(s);

    const median = (xs: number[]) => pct(xs, 50);
    console.log(`\njobs (${(await import('node:os')).cpus().length} cores), ${RUNS} runs of extract → transform ×4 (1 s each) → report`);
    console.log(`graph wall time      Slipway p50 ${sec(median(slip.walls))}  (min ${sec(Math.min(...slip.walls))}, max ${sec(Math.max(...slip.walls))})`);
    console.log(`                     plain sequential docker run p50 ${sec(median(plain.walls))}  (min ${sec(Math.min(...plain.walls))}, max ${sec(Math.max(...plain.walls))})`);
    console.log(`exit → dependent start  Slipway p50 ${ms(pct(slip.delays, 50))}  p99 ${ms(pct(slip.delays, 99))}  (${slip.delays.length} starts; goal p99 < 200 ms)`);
    console.log(`                        Slipway decided p50 ${ms(pct(slip.decided, 50))}  p99 ${ms(pct(slip.decided, 99))}  (the rest is the Engine starting them)`);
    console.log(`                        plain docker run p50 ${ms(pct(plain.delays, 50))}  p99 ${ms(pct(plain.delays, 99))}  (${plain.delays.length} starts)`);
    console.log(`tick lateness (${ticks.ticks} ticks of a per-second schedule)  decided p50 ${ms(pct(ticks.decided, 50))}  p99 ${ms(pct(ticks.decided, 99))}  (goal p99 < 1 s)`);
    console.log(`                     container started p50 ${ms(pct(ticks.started, 50))}  p99 ${ms(pct(ticks.started, 99))}  (${ticks.started.length} runs)`);
  } finally {
    // Removes what it made even when a step failed (the per-second schedule's app goes in tickLateness).
    if (app) await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
    await s.stop().catch((e: unknown) => console.error('could not stop the bench server:', e));
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
