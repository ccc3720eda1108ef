// One run of a job graph, over ports: each task starts as soon as the jobs it depends on allow
// (independent tasks in parallel), all its instances at once; an instance that fails is retried
// with back-off; a task that exhausts its retries fails the run, after which nothing new starts
// (no task, no retry) while running containers finish; tasks that never started are skipped.
// Every attempt is recorded (before its container exists, so a crash leaves nothing unknown).
import type { ServiceSpec } from '../domain.js';
import { errorMessage } from '../errors.js';
import { backoffMs, pendingDetail, removesContainer, type AttemptRecord, type InstanceRecord, type RunDetail, type TaskState } from './model.js';

/** The outside world a run drives; src/jobs/ports.ts adapts Docker and the log store. */
export interface TaskPorts {
  /** Creates (not starts) the container of one attempt. */
  create(task: ServiceSpec, index: number, attempt: number): Promise<{ id: string; name: string }>;
  /**
   * The first attempt's container, made ready ahead of its turn: created, and where the port can,
   * started held at a gate (src/jobs/gate.ts) that runs nothing until `start` releases it.
   */
  hold(task: ServiceSpec, index: number): Promise<{ id: string; name: string }>;
  /** Starts a created container, or releases a held one. */
  start(id: string): Promise<void>;
  /** Resolves with the exit code once the container has exited. */
  wait(id: string): Promise<number>;
  /** Stops a running container (cancel); its wait then resolves. */
  stop(id: string): Promise<void>;
  /** Removes an exited container once its output is in the log store. */
  remove(id: string): Promise<void>;
  /** Removes a container that never started (created ahead for a task that did not run). */
  discard(id: string): Promise<void>;
  /** null when the app's long-running `service` meets `condition`, else why not. */
  serviceReady(service: string, condition: ServiceSpec['dependsOn'][number]['condition']): Promise<string | null>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  now(): Date;
}

export interface GraphRun {
  /** The tasks of this run, in the file's order (jobs only). */
  tasks: ServiceSpec[];
  /** Instances of a task (the release's scale over the file's replicas). */
  replicas(task: ServiceSpec): number;
  backoff: { baseMs: number; maxMs: number };
  /** Called after every change, with the whole detail (persist it). */
  record(detail: RunDetail): void;
  /** Aborts the run: running containers are stopped, nothing new starts. */
  signal: AbortSignal;
  progress?: (line: string) => void;
}

export interface GraphResult {
  state: 'succeeded' | 'failed' | 'cancelled';
  reason: string | null;
  detail: RunDetail;
}

/** First-attempt instances held ready at a run's start (each an idle container until its turn). */
export const MAX_HELD = 32;

export async function runGraph(g: GraphRun, ports: TaskPorts): Promise<GraphResult> {
  const iso = () => ports.now().toISOString();
  const say = g.progress ?? (() => undefined);
  const detail: RunDetail = pendingDetail(g.tasks);
  const rec = new Map(detail.tasks.map((t) => [t.name, t]));
  const inGraph = new Set(g.tasks.map((t) => t.name));
  const save = () => g.record(detail);
  // Fires on the first failure or on cancel: back-offs end, no retry or task starts.
  const halt = new AbortController();
  const onCancel = () => halt.abort();
  g.signal.addEventListener('abort', onCancel, { once: true });
  let failure: string | null = null;
  const running = new Set<string>();
  const removals: Promise<void>[] = [];
  const launched: Promise<void>[] = [];
  // Every task's first containers are made ready at once, held at a gate (ports.hold), before any
  // is released: the Engine's start-up (most of a second each, less in parallel) is paid once, up
  // front, and a dependent then runs the moment what it waits for allows. Beyond MAX_HELD
  // instances, the rest are created and started at their turn.
  const ahead = new Map<string, Promise<{ id: string; name: string } | null>>();
  let budget = MAX_HELD;
  for (const t of g.tasks) for (let i = 0; i < g.replicas(t) && budget > 0; i++, budget--) ahead.set(`${t.name}/${i}`, ports.hold(t, i).catch(() => null));
  const warm = Promise.all(ahead.values());
  // Running tasks whose every instance's container has started (compose's service_started).
  const up = new Set<string>();
  const isUp = (name: string) => {
    const s = rec.get(name)!.state;
    return s === 'succeeded' || (s === 'running' && up.has(name));
  };
  let settle!: () => void;
  const allDone = new Promise<void>((r) => (settle = r));

  const ready = (t: ServiceSpec) =>
    t.dependsOn.every((d) => {
      if (!inGraph.has(d.service)) return true;
      const s = rec.get(d.service)!.state;
      return d.condition === 'service_completed_successfully' ? s === 'succeeded' : isUp(d.service);
    });

  const startReady = () => {
    if (!halt.signal.aborted)
      for (const t of g.tasks) {
        if (rec.get(t.name)!.state !== 'pending') continue;
        if (ready(t)) launched.push(launch(t));
      }
    if (![...rec.values()].some((r) => r.state === 'running')) settle();
  };

  async function launch(t: ServiceSpec): Promise<void> {
    const r = rec.get(t.name)!;
    r.state = 'running';
    r.startedAt = iso();
    save();
    say(`${t.name}: starting ${g.replicas(t)} instance${g.replicas(t) === 1 ? '' : 's'}`);
    let state: TaskState;
    const external = await externalProblem(t);
    if (external) {
      r.error = external;
      state = 'failed';
    } else {
      r.instances = Array.from({ length: g.replicas(t) }, (_, index): InstanceRecord => ({ index, state: 'running', attempts: [] }));
      save();
      let starting = r.instances.length;
      const onStarted = () => {
        if (--starting > 0) return;
        up.add(t.name);
        startReady(); // dependents waiting for this one to *start*
      };
      const results = await Promise.all(r.instances.map((i) => runInstance(t, i, onStarted)));
      state = results.every((s) => s === 'succeeded') ? 'succeeded' : results.includes('failed') ? 'failed' : 'cancelled';
      if (state === 'failed') r.error = describeFailure(t, r.instances);
    }
    r.state = state;
    r.finishedAt = iso();
    if (state === 'failed' && failure === null) {
      failure = `${t.name} failed: ${r.error}`;
      halt.abort();
    }
    say(`${t.name}: ${state}${r.error ? ` (${r.error})` : ''}`);
    save();
    startReady();
  }

  async function externalProblem(t: ServiceSpec): Promise<string | null> {
    for (const d of t.dependsOn.filter((d) => !inGraph.has(d.service))) {
      const why = await ports.serviceReady(d.service, d.condition).catch((e: unknown) => errorMessage(e));
      if (why) return `needs ${d.service} (${d.condition}): ${why}`;
    }
    return null;
  }

  /** `onStarted` is called once, when this instance's first container has started. */
  async function runInstance(t: ServiceSpec, inst: InstanceRecord, onStarted: () => void): Promise<TaskState> {
    let first = true;
    const once = () => {
      if (first) onStarted();
      first = false;
    };
    const job = t.job ?? { retries: 0, removeContainers: 'remove-finished' as const };
    for (let n = 1; n <= job.retries + 1; n++) {
      if (halt.signal.aborted) return (inst.state = g.signal.aborted ? 'cancelled' : 'failed');
      const a: AttemptRecord = { attempt: n, container: '', containerId: null, exitCode: null, startedAt: iso(), finishedAt: null, kept: true };
      inst.attempts.push(a);
      const code = await attempt(t, inst.index, a, once);
      a.finishedAt = iso();
      save();
      if (a.containerId && removesContainer(job.removeContainers, a.exitCode)) removals.push(removeLater(a));
      if (code === 0) return (inst.state = 'succeeded');
      if (g.signal.aborted) return (inst.state = 'cancelled');
      if (n <= job.retries && !halt.signal.aborted) {
        const wait = backoffMs(n, g.backoff.baseMs, g.backoff.maxMs);
        say(`${t.name}.${inst.index}: attempt ${n} ${a.error ?? `exited with ${code}`}; retrying in ${(wait / 1000).toFixed(1)} s`);
        await ports.sleep(wait, halt.signal).catch(() => undefined);
      }
    }
    return (inst.state = g.signal.aborted ? 'cancelled' : 'failed');
  }

  /** Runs one attempt's container to its end; its exit code, or null when it could not start. */
  async function attempt(t: ServiceSpec, index: number, a: AttemptRecord, onStarted: () => void): Promise<number | null> {
    try {
      const early = a.attempt === 1 ? await ahead.get(`${t.name}/${index}`) : null;
      ahead.delete(`${t.name}/${index}`);
      if (a.attempt === 1) await warm;
      const c = early ?? (await ports.create(t, index, a.attempt));
      a.container = c.name;
      a.containerId = c.id;
      save();
      const stop = () => void ports.stop(c.id).catch(() => undefined);
      g.signal.addEventListener('abort', stop, { once: true });
      try {
        if (g.signal.aborted) throw new Error('cancelled before it started');
        await ports.start(c.id);
        a.startedAt = iso();
        running.add(c.id);
        onStarted();
        a.exitCode = await ports.wait(c.id);
      } finally {
        running.delete(c.id);
        g.signal.removeEventListener('abort', stop);
      }
      return a.exitCode;
    } catch (e) {
      a.error = errorMessage(e);
      return null;
    }
  }

  function removeLater(a: AttemptRecord): Promise<void> {
    return ports.remove(a.containerId!).then(
      () => {
        a.kept = false;
        save();
      },
      (e: unknown) => say(`could not remove ${a.container}: ${errorMessage(e)}`),
    );
  }

  startReady();
  await allDone;
  await Promise.all(launched);
  g.signal.removeEventListener('abort', onCancel);
  for (const r of detail.tasks) if (r.state === 'pending') r.state = g.signal.aborted ? 'cancelled' : 'skipped';
  for (const c of await Promise.all(ahead.values())) if (c) removals.push(ports.discard(c.id).catch(() => undefined));
  await Promise.all(removals);
  save();
  if (g.signal.aborted) return { state: 'cancelled', reason: 'cancelled', detail };
  if (failure) return { state: 'failed', reason: failure, detail };
  return { state: 'succeeded', reason: null, detail };
}

/** `instance 2 exited with 1 after 3 attempts` */
function describeFailure(t: ServiceSpec, instances: InstanceRecord[]): string {
  const bad = instances.find((i) => i.state === 'failed');
  const last = bad?.attempts[bad.attempts.length - 1];
  if (!bad || !last) return 'did not run';
  const what = last.error ?? `exited with ${last.exitCode}`;
  const n = bad.attempts.length;
  return `instance ${bad.index} ${what}${n > 1 ? ` after ${n} attempts` : ''}${t.job?.retries && n <= t.job.retries ? ' (the run failed meanwhile; no more retries)' : ''}`;
}
