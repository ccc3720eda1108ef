// Job runs benchmark: the batch graph of issue 13 (extract → transform ×4 → report) run by
// Slipway next to the same graph as a plain sequence of `docker run`s in the same run; the delay
// from a task's exit (its Docker `die` event) to its dependents' start — the moment their command
// runs, stamped by its first instruction (`date` in a shell that then execs python; Slipway
// starts dependents ahead, held at a gate, so Docker's `start` event says nothing there) — and to
// the moment Slipway released them (the attempt's recorded start); and how late scheduled ticks are decided and their
// containers started (a per-second schedule, ≥ 50 ticks).
// Run: npx tsx bench/jobs.ts [runs=5] [ticks=60]   (needs `npm run up`'s daemons; own data dir)
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

type Ev = { what: string; name: string; t: number };
type Started = { run: string; task: string; t: number };
const DEPENDS: Record<string, string> = { transform: 'extract', report: 'transform' };

/** Each dependent instance's start after the last `die` of the task it waits for, in its run (ms). */
function dependentDelays(events: Ev[], keyOf: (name: string) => { run: string; task: string } | null, starts: Started[]): number[] {
  const lastDie = (run: string, task: string) =>
    Math.max(...events.filter((e) => e.what === 'die' && keyOf(e.name)?.run === run && keyOf(e.name)?.task === task).map((e) => e.t));
  return starts.filter((s) => DEPENDS[s.task]).map((s) => s.t - lastDie(s.run, DEPENDS[s.task]!)).filter(Number.isFinite);
}

/** The first line the bench's tasks print, from a shell before it execs python: when their command started (ns). */
const startedLine = (text: string) => /bench-started (\d+)/.exec(text);
const stamped = (script: string) => ['sh', '-c', `echo bench-started $(date +%s%N); exec python3 ${script}`];
/** The fixture's compose file with transform's and report's commands stamped (the same in both graphs). */
const benchFiles = () => {
  let compose = readFileSync(path.join(ROOT, 'test/fixtures/apps/batch-app/compose.yaml'), 'utf8');
  for (const f of ['transform.py', 'report.py']) compose = compose.replace(`command: python3 ${f}`, () => `command: ${JSON.stringify(stamped(f)).replaceAll('$', () => '$$')}`); // $$: compose's literal $
  return { 'compose.yaml': compose };
};

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

async function slipwayGraph(s: TestServer, app: string): Promise<{ walls: number[]; delays: number[]; decided: number[] }> {
  const watch = await watchEvents(`slipway-${app}-`);
  const walls: number[] = [];
  const decided: Started[] = [];
  const runs: number[] = [];
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
        runs.push(r.id);
        break;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    walls.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, 500));
  watch.stop();
  const re = new RegExp(`^slipway-${app}-(extract|transform|report)-run(\\d+)-`);
  const keyOf = (n: string) => (re.exec(n) ? { run: re.exec(n)![2]!, task: re.exec(n)![1]! } : null);
  const starts: Started[] = [];
  for (const id of runs) {
    const lines = (await (await s.api(`/api/apps/${app}/logs?run=${id}&n=1000`)).json()) as { service: string; line: string }[];
    for (const l of lines) {
      const m = startedLine(l.line);
      if (m) starts.push({ run: String(id), task: l.service, t: Number(m[1]) / 1e6 });
    }
  }
  return { walls, delays: dependentDelays(watch.events, keyOf, starts), decided: dependentDelays(watch.events, keyOf, decided) };
}

/** The same graph as plain `docker run`s, one after another (the floor a shell script gets). */
async function plainGraph(image: string, app: string): Promise<{ walls: number[]; delays: number[] }> {
  const vol = `slipway-bench-${app}`;
  const prefix = `bench-plain-${app}-`;
  const watch = await watchEvents(prefix);
  const walls: number[] = [];
  const starts: Started[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const id = `p${i}`;
    const dockerRun = async (task: string, index: number, cmd: string) => {
      const out = await run('docker', ['run', '--rm', '--name', `${prefix}${id}-${task}-${index}`, '-v', `${vol}:/data`, '-e', `SLIPWAY_RUN_ID=${id}`, '-e', `SLIPWAY_JOB_INDEX=${index}`,
        '-e', 'SLIPWAY_JOB_INSTANCES=4', '-e', 'EXTRACT_FAILS=0', '-e', 'TRANSFORM_SECONDS=1', image, ...(task === 'extract' ? ['python3', cmd] : stamped(cmd))]);
      const m = startedLine(out.stdout);
      if (m) starts.push({ run: id, task, t: Number(m[1]) / 1e6 });
    };
    await dockerRun('extract', 0, 'extract.py');
    for (let k = 0; k < 4; k++) await dockerRun('transform', k, 'transform.py');
    await dockerRun('report', 0, 'report.py');
    walls.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, 500));
  watch.stop();
  await run('docker', ['volume', 'rm', '-f', vol]).catch(() => undefined);
  // Sequential: each transform follows the previous container's exit (extract's or the last
  // transform's), report the last transform's.
  const re = new RegExp(`^${prefix}(p\\d+)-(extract|transform|report)-(\\d+)$`);
  const dies = watch.events.filter((e) => e.what === 'die' && re.test(e.name)).map((e) => ({ ...e, run: re.exec(e.name)![1]!, task: re.exec(e.name)![2]! }));
  const delays = starts
    .filter((x) => DEPENDS[x.task])
    .map((x) => x.t - Math.max(...dies.filter((d) => d.run === x.run && d.t < x.t).map((d) => d.t)))
    .filter(Number.isFinite);
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
    app = await deploy(s, 'bench-etl', benchFiles(), { EXTRACT_FAILS: '0', TRANSFORM_SECONDS: '1' });
    const release = ((await (await s.api(`/api/apps/${app}/releases`)).json()) as { image: string }[])[0]!.image;
    await slipwayGraph(s, app); // warm-up: image pulled, volume created
    const slip = await slipwayGraph(s, app);
    const plain = await plainGraph(release, app);
    const ticks = await tickLateness(s);

    const median = (xs: number[]) => pct(xs, 50);
    console.log(`\njobs (${(await import('node:os')).cpus().length} cores), ${RUNS} runs of extract → transform ×4 (1 s each) → report`);
    console.log(`graph wall time      Slipway p50 ${sec(median(slip.walls))}  (min ${sec(Math.min(...slip.walls))}, max ${sec(Math.max(...slip.walls))})`);
    console.log(`                     plain sequential docker run p50 ${sec(median(plain.walls))}  (min ${sec(Math.min(...plain.walls))}, max ${sec(Math.max(...plain.walls))})`);
    console.log(`exit → dependent's command running  Slipway p50 ${ms(pct(slip.delays, 50))}  p99 ${ms(pct(slip.delays, 99))}  (${slip.delays.length} starts; goal p99 < 200 ms)`);
    console.log(`                        Slipway released p50 ${ms(pct(slip.decided, 50))}  p99 ${ms(pct(slip.decided, 99))}  (the rest: the Engine passing the line to the gate, sh exec)`);
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
