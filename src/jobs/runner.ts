// The jobs stage's front: starts runs (manual, scheduled, after a deploy) of an app's job graph
// at one release, records them, cancels them (also across processes, through the run's row),
// notifies the result webhook, prunes the history, and at start-up marks the runs of a Slipway
// that died as interrupted and handles their containers. The engine (one host, or a swarm's
// manager) is given: nothing here depends on which.
import { hostname } from 'node:os';
import type { Release } from '../domain.js';
import { UserError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { State } from '../state/index.js';
import type { NewRun } from '../state/runs.js';
import type { AppRow } from '../state/apps.js';
import { notifyResult } from './notify.js';
import { pendingDetail, removesContainer, type RunDetail, type RunRow } from './model.js';
import { dockerTaskPorts, type JobEngine } from './ports.js';
import { runContainerGlob } from './container.js';
import { runGraph } from './run-graph.js';
import { graphOf, jobsOf, runView } from './views.js';

/** Manual and deploy runs kept per app (a schedule keeps its own `history`). */
export const MANUAL_HISTORY = 50;
export const INTERRUPTED_RUN = 'Slipway stopped during this run';
const CANCEL_POLL_MS = 1000;

export interface RunnerDeps {
  state: State;
  /** Where runs' containers go now: this host's engine, or the swarm manager's (after cluster:init). */
  engine(): JobEngine;
  backoff: { baseMs: number; maxMs: number };
  logger: Logger;
  /** `host:pid`; another live owner's runs are its own (two Slipways on one data dir). */
  owner?: string;
}

export interface StartOptions {
  trigger: NewRun['trigger'];
  task?: string | null;
}

interface Active {
  abort: AbortController;
  done: Promise<void>;
  shutdown: boolean;
}

export class JobRunner {
  readonly owner: string;
  private readonly active = new Map<number, Active>();

  constructor(private readonly deps: RunnerDeps) {
    this.owner = deps.owner ?? `${hostname()}:${process.pid}`;
  }

  /** Starts a run of the app's current release now; resolves with its row once recorded. */
  start(app: AppRow, opts: StartOptions): RunRow {
    const release = this.currentRelease(app);
    const task = opts.task ?? null;
    const tasks = this.tasksFor(release, task);
    const row = this.deps.state.runs.create(app.id, {
      trigger: opts.trigger, task, release: release.version, imageDigest: release.image.digest, state: 'running', owner: this.owner, detail: pendingDetail(tasks),
    })!;
    this.execute(row);
    return row;
  }

  /** After a code deploy: with SLIPWAY_JOBS_ON_DEPLOY=1 in the app's config, the graph runs once. */
  runOnDeploy(app: AppRow, trigger: string, progress: (line: string) => void): RunRow | null {
    if (trigger !== 'push' && trigger !== 'webhook' && trigger !== 'cli') return null;
    const release = this.deps.state.releases.current(app.id);
    if (!release || !graphOf(release).length || !/^(1|true|yes)$/i.test(release.config.SLIPWAY_JOBS_ON_DEPLOY ?? '')) return null;
    const row = this.start(app, { trigger: 'deploy' });
    progress(`-----> Started job run ${row.id} of v${release.version} (SLIPWAY_JOBS_ON_DEPLOY); see: slipway runs:show ${app.name} ${row.id}`);
    return row;
  }

  /** The release runs use: the active one (never one rolled back from or replaced). */
  currentRelease(app: AppRow): Release {
    const release = this.deps.state.releases.current(app.id);
    if (!release) throw new UserError(`${app.name} has no release yet: push code first`, 409);
    return release;
  }

  /** The tasks of a run: the whole graph, or one task (`--task`, an app.json cron entry). */
  tasksFor(release: Release, task: string | null) {
    const jobs = jobsOf(release);
    if (!jobs.length) throw new UserError(`${release.app} has no jobs: label a compose service \`slipway.job: "true"\` (or add app.json cron entries)`, 409);
    if (task === null) return graphOf(release);
    const t = jobs.find((j) => j.name === task);
    if (!t) throw new UserError(`${release.app} has no job ${JSON.stringify(task)} (jobs: ${jobs.map((j) => j.name).join(', ')})`, 404);
    return [t];
  }

  /** Runs a recorded run (state `running`, owned by this process) to its end, in the background. */
  execute(row: RunRow): void {
    const a: Active = { abort: new AbortController(), done: Promise.resolve(), shutdown: false };
    a.done = this.drive(row, a)
      .catch((e: unknown) => {
        this.deps.logger.error('job run failed unexpectedly', { run: row.id, error: errorMessage(e) });
        this.deps.state.runs.finish(row.id, 'failed', `internal error: ${errorMessage(e)}`);
      })
      .finally(() => this.active.delete(row.id));
    this.active.set(row.id, a);
  }

  private async drive(row: RunRow, a: Active): Promise<void> {
    const { state } = this.deps;
    const release = state.releases.get(row.appId, row.release!);
    const tasks = this.tasksFor(release, row.task);
    const poll = setInterval(() => {
      if (state.runs.cancelRequested(row.id)) a.abort.abort();
    }, CANCEL_POLL_MS);
    // One engine from start to end (a cluster:init meanwhile moves the next runs, not this one).
    const engine = this.deps.engine();
    // Subscribed while the release is prepared, so the first container's exit is seen at once.
    const unhold = engine.exits.hold();
    try {
      await engine.prepare(release);
      const result = await runGraph(
        {
          tasks,
          replicas: (t) => release.scale[t.name] ?? t.replicas,
          backoff: this.deps.backoff,
          record: (detail) => state.runs.saveDetail(row.id, detail),
          signal: a.abort.signal,
          progress: (line) => this.deps.logger.debug(`run ${row.id}: ${line}`, { app: row.app }),
        },
        dockerTaskPorts(engine, release, row.id),
      );
      const final = a.shutdown ? 'interrupted' : result.state;
      state.runs.finish(row.id, final, a.shutdown ? INTERRUPTED_RUN : result.reason, result.detail);
    } catch (e) {
      state.runs.finish(row.id, a.shutdown ? 'interrupted' : 'failed', errorMessage(e));
    } finally {
      clearInterval(poll);
      unhold();
    }
    await this.notify(row.id, release);
    await this.prune(state.runs.get(row.id), release);
  }

  /** Cancels a run, here or in the process running it (it polls its row). */
  cancel(app: AppRow, id: number): RunRow {
    const run = this.deps.state.runs.find(app.id, id);
    if (!run) throw new UserError(`${app.name} has no run ${id}`, 404);
    if (run.state !== 'running') throw new UserError(`run ${id} is not running (it ${run.state === 'skipped' || run.state === 'missed' ? 'was' : 'has'} ${run.state})`, 409);
    this.deps.state.runs.requestCancel(id);
    this.active.get(id)?.abort.abort();
    return this.deps.state.runs.get(id);
  }

  /** GLOBs of every container of a run, or of one of its tasks (`slipway logs APP --run ID`). */
  containerGlobs(app: AppRow, id: number): string[] {
    const run = Number.isInteger(id) ? this.deps.state.runs.find(app.id, id) : undefined;
    if (!run) throw new UserError(`${app.name} has no run ${id} (see: slipway runs ${app.name})`, 404);
    return run.detail.tasks.map((t) => runContainerGlob(app.name, t.name, run.id));
  }

  /** Waits for a run of this process to end (tests, `replace`). */
  async settled(id: number): Promise<void> {
    await this.active.get(id)?.done;
  }

  private async notify(id: number, release: Release): Promise<void> {
    const urls = [...new Set(jobsOf(release).map((s) => s.job?.webhook).filter((u): u is string => Boolean(u)))];
    if (!urls.length) return;
    const run = this.deps.state.runs.get(id);
    const secret = this.deps.state.apps.byId(run.appId).webhookSecret;
    const notified = await Promise.all(urls.map((u) => notifyResult(u, secret, { event: 'run.finished', run: runView(run) })));
    for (const n of notified.filter((n) => n.error)) this.deps.logger.warn('run result webhook failed', { app: run.app, run: id, ...n });
    this.deps.state.runs.saveDetail(id, { ...run.detail, notified });
  }

  /** Keeps the newest runs of the run's schedule (or of manual/deploy runs); removes what the dropped ones kept. */
  async prune(run: Pick<RunRow, 'appId' | 'app' | 'schedule'>, release: Release | undefined): Promise<void> {
    const keep = run.schedule ? (release?.services.find((s) => s.name === run.schedule)?.job?.schedule?.history ?? 20) : MANUAL_HISTORY;
    for (const old of this.deps.state.runs.prune(run.appId, run.schedule, keep)) {
      const { containers } = this.deps.engine();
      for (const c of await containers.listContainers({ app: run.app, run: old.id, all: true }).catch(() => []))
        await containers.removeContainer(c.id).catch(() => undefined);
    }
  }

  /**
   * Start-up: a run whose owner process is gone was interrupted. Its containers are stopped; each
   * is then removed or kept as its task's policy says (a stopped one counts as failed), and the
   * record says which.
   */
  async reconcile(): Promise<RunRow[]> {
    const interrupted: RunRow[] = [];
    for (const run of this.deps.state.runs.running()) {
      if (run.owner && ownerAlive(run.owner)) continue;
      const release = run.release === null ? undefined : this.deps.state.releases.find(run.appId, run.release);
      const detail = await this.handleContainers(run, release);
      this.deps.state.runs.finish(run.id, 'interrupted', `${INTERRUPTED_RUN}; its running containers were stopped`, detail);
      interrupted.push(this.deps.state.runs.get(run.id));
      await this.prune(run, release);
    }
    if (interrupted.length) this.deps.logger.info('job runs interrupted by a restart', { runs: interrupted.map((r) => r.id) });
    return interrupted;
  }

  private async handleContainers(run: RunRow, release: Release | undefined): Promise<RunDetail> {
    const { containers } = this.deps.engine();
    const detail = structuredClone(run.detail);
    const policyOf = (task: string) => release?.services.find((s) => s.name === task)?.job?.removeContainers ?? 'remove-finished';
    for (const c of await containers.listContainers({ app: run.app, run: run.id, all: true })) {
      if (c.state === 'running' || c.state === 'restarting') await containers.stopContainer(c.id, 5).catch(() => undefined);
      const exit = await containers.exitState(c.id).catch(() => null);
      const task = detail.tasks.find((t) => t.name === c.service);
      const attempt = task?.instances.flatMap((i) => i.attempts).find((x) => x.container === c.name);
      const exitCode = exit && exit.status !== 'created' ? exit.exitCode : null;
      if (attempt) {
        attempt.exitCode ??= exitCode;
        attempt.finishedAt ??= exit?.finishedAt && !exit.finishedAt.startsWith('0001') ? exit.finishedAt : new Date().toISOString();
      }
      // Never started, or not in the record (a crash between create and record): nothing to keep.
      const remove = !attempt || exitCode === null || removesContainer(policyOf(c.service ?? ''), exitCode);
      if (remove) await containers.removeContainer(c.id).catch(() => undefined);
      if (attempt) attempt.kept = !remove;
    }
    for (const t of detail.tasks) {
      if (t.state === 'running') t.state = 'interrupted';
      else if (t.state === 'pending') t.state = 'skipped';
      for (const i of t.instances) if (i.state === 'running') i.state = 'interrupted';
      t.finishedAt ??= t.startedAt ? new Date().toISOString() : null;
    }
    return detail;
  }

  /** Graceful stop: runs of this process stop their containers and are marked interrupted. */
  async close(): Promise<void> {
    for (const a of this.active.values()) {
      a.shutdown = true;
      a.abort.abort();
    }
    await Promise.all([...this.active.values()].map((a) => a.done));
  }
}

/** Whether the process `host:pid` still runs (on this host; another host's is assumed alive). */
export function ownerAlive(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
