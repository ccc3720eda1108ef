// How runs, job graphs and schedules are shown by the API and the CLI (and sent to webhooks):
// plain data from the stored rows and the release's services. Pure.
import type { Release, ServiceSpec } from '../domain.js';
import { nextTicks, localZone } from './cron.js';
import { keptContainers, type RunRow } from './model.js';

export function runSummary(r: RunRow) {
  const end = r.finishedAt ? Date.parse(r.finishedAt) : null;
  const start = r.startedAt ? Date.parse(r.startedAt) : null;
  return {
    id: r.id,
    trigger: r.trigger,
    schedule: r.schedule,
    scheduledAt: r.scheduledAt,
    task: r.task,
    release: r.release === null ? null : `v${r.release}`,
    state: r.state,
    reason: r.reason,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: end !== null && start !== null ? end - start : null,
  };
}

export function runView(r: RunRow) {
  return { ...runSummary(r), app: r.app, imageDigest: r.imageDigest, tasks: r.detail.tasks, keptContainers: keptContainers(r.detail), notified: r.detail.notified ?? [] };
}

export const jobsOf = (release: Pick<Release, 'services'>): ServiceSpec[] => release.services.filter((s) => s.role === 'job');

/** The graph a run without --task runs: every job except app.json cron entries (they run alone). */
export const graphOf = (release: Pick<Release, 'services'>): ServiceSpec[] => jobsOf(release).filter((s) => !s.job?.schedule?.taskOnly);

/** `slipway jobs APP`: each task, what it waits for, and its last result. */
export function jobsView(release: Release, recent: RunRow[]) {
  return jobsOf(release).map((s) => {
    const last = recent.find((r) => r.detail.tasks.some((t) => t.name === s.name && t.state !== 'pending' && t.state !== 'skipped'));
    const task = last?.detail.tasks.find((t) => t.name === s.name);
    return {
      name: s.name,
      dependsOn: s.dependsOn.map((d) => `${d.service} (${d.condition.replace(/^service_/, '')})`),
      instances: release.scale[s.name] ?? s.replicas,
      retries: s.job?.retries ?? 0,
      removeContainers: s.job?.removeContainers ?? 'remove-finished',
      schedule: s.job?.schedule?.cron ?? null,
      lastRun: last ? { id: last.id, state: task!.state, finishedAt: task!.finishedAt } : null,
    };
  });
}

/** A time as the schedule's zone shows it: `2024-03-31 03:00:00 GMT+2`. */
export function inZone(t: Date, zone: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' })
      .formatToParts(t)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** `slipway cron APP`: each schedule, its next 3 times in its zone, and the last result. */
export function cronView(release: Release, marks: { name: string; suspended: boolean }[], last: (name: string) => RunRow | undefined, now: Date) {
  return jobsOf(release)
    .filter((s) => s.job?.schedule)
    .map((s) => {
      const sch = s.job!.schedule!;
      const zone = sch.timezone ?? localZone();
      const suspended = marks.find((m) => m.name === s.name)?.suspended ?? false;
      const l = last(s.name);
      return {
        name: s.name,
        cron: sch.cron,
        timezone: zone,
        runs: sch.taskOnly ? s.name : 'all jobs',
        concurrency: sch.concurrency,
        suspended,
        next: suspended ? [] : nextTicks(sch, now, 3).map((t) => inZone(t, zone)),
        last: l ? { id: l.id, scheduledAt: l.scheduledAt, state: l.state, reason: l.reason } : null,
      };
    });
}
