// Schedules: one run per scheduled time, ever. At each tick (a timer set to the next scheduled
// instant, from cron.ts) every schedule of every app's active release is decided on inside one
// IMMEDIATE SQLite transaction: the due tick is inserted as a run under its UNIQUE (app,
// schedule, scheduled_at) key — running, or skipped under `forbid` — older due ticks as missed,
// and the schedule's `through` mark moves past them. A restart, a redeploy, a Redis restart or a
// second Slipway on the same data dir finds the tick decided and never runs it again.
import type { Release, ServiceSpec } from '../domain.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { State } from '../state/index.js';
import type { AppRow } from '../state/apps.js';
import { nextTicks, planTicks } from './cron.js';
import { pendingDetail, type RunRow } from './model.js';
import type { JobRunner } from './runner.js';
import { jobsOf } from './views.js';

export interface SchedulerDeps {
  state: State;
  runner: Pick<JobRunner, 'owner' | 'cancel' | 'execute' | 'prune' | 'tasksFor'>;
  logger: Logger;
  now?: () => Date;
  /** Longest sleep between looks at the schedules (another process may deploy meanwhile). */
  pollMs?: number;
}

interface Decision {
  start: RunRow | null;
  cancel: RunRow[];
  recorded: boolean;
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private readonly now: () => Date;

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Looks at the schedules again now (a release changed them). */
  refresh(): void {
    if (!this.stopped) this.wake();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private wake(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    const now = this.now();
    let next = now.getTime() + (this.deps.pollMs ?? 15_000);
    for (const app of this.deps.state.apps.list()) {
      const release = this.deps.state.releases.current(app.id);
      if (!release) continue;
      for (const s of jobsOf(release).filter((j) => j.job?.schedule)) {
        try {
          const due = this.decide(app, release, s, now);
          if (due) next = Math.min(next, due.getTime());
        } catch (e) {
          this.deps.logger.error('schedule failed', { app: app.name, schedule: s.name, error: errorMessage(e) });
        }
      }
    }
    this.timer = setTimeout(() => this.wake(), Math.max(0, next - Date.now()));
  }

  /** Decides on the schedule's due ticks; returns its next tick. */
  private decide(app: AppRow, release: Release, s: ServiceSpec, now: Date): Date | null {
    const sch = s.job!.schedule!;
    const { runs } = this.deps.state;
    const decision = runs.exclusive((): Decision & { through: string } => {
      const mark = runs.mark(app.id, s.name, now.toISOString());
      const out: Decision & { through: string } = { start: null, cancel: [], recorded: false, through: mark.through };
      if (mark.suspended) return out;
      const plan = planTicks(sch, new Date(mark.through), now, sch.deadlineSeconds * 1000, sch.history);
      if (!plan.through) return out;
      const base = { trigger: 'schedule' as const, schedule: s.name, task: sch.taskOnly ? s.name : null, release: release.version, imageDigest: release.image.digest };
      plan.missed.forEach((t, i) => {
        const earlier = i === 0 && plan.unlisted ? ` (and ${plan.unlisted} earlier tick${plan.unlisted === 1 ? '' : 's'}, not listed)` : '';
        const reason = `Slipway was not running at this time; a late tick runs only if it is the newest and at most ${sch.deadlineSeconds} s late (slipway.schedule.deadline)${earlier}`;
        out.recorded = runs.create(app.id, { ...base, scheduledAt: t.toISOString(), state: 'missed', reason }) !== null || out.recorded;
      });
      if (plan.run) {
        const going = runs.running(app.id, s.name);
        const scheduledAt = plan.run.toISOString();
        if (going.length && sch.concurrency === 'forbid') {
          const reason = `run ${going.map((r) => r.id).join(', ')} of this schedule was still running (concurrency: forbid)`;
          out.recorded = runs.create(app.id, { ...base, scheduledAt, state: 'skipped', reason }) !== null || out.recorded;
        } else {
          const detail = pendingDetail(this.deps.runner.tasksFor(release, base.task));
          out.start = runs.create(app.id, { ...base, scheduledAt, state: 'running', owner: this.deps.runner.owner, detail });
          if (sch.concurrency === 'replace') out.cancel = going;
        }
      }
      runs.setThrough(app.id, s.name, plan.through.toISOString());
      out.through = plan.through.toISOString();
      return out;
    });
    for (const old of decision.cancel) {
      this.deps.logger.info('schedule replaces a running run', { app: app.name, schedule: s.name, run: old.id });
      try {
        this.deps.runner.cancel(app, old.id);
      } catch {
        /* it ended meanwhile */
      }
    }
    if (decision.start) this.deps.runner.execute(decision.start);
    if (decision.recorded) void this.deps.runner.prune({ appId: app.id, app: app.name, schedule: s.name }, release);
    const from = new Date(Math.max(now.getTime(), Date.parse(decision.through)));
    return nextTicks(sch, from, 1)[0] ?? null;
  }
}
