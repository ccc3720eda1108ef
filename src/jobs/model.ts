// The jobs stage's values: a run of an app's job graph at one release, its tasks, their
// instances and every attempt (container, exit code, times), as stored and shown. Pure.
import type { RemovePolicy } from '../domain.js';

export type RunTrigger = 'manual' | 'schedule' | 'deploy';
/** `skipped`/`missed` are scheduled ticks that did not run (forbid overlap; past the deadline). */
export type RunState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'skipped' | 'missed';
export type TaskState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'interrupted';

export interface AttemptRecord {
  /** 1 for the first try. */
  attempt: number;
  container: string;
  containerId: string | null;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string | null;
  /** The container is still there (the remove policy kept it). */
  kept: boolean;
  error?: string;
}

export interface InstanceRecord {
  /** SLIPWAY_JOB_INDEX: 0-based. */
  index: number;
  state: TaskState;
  attempts: AttemptRecord[];
}

export interface TaskRecord {
  name: string;
  state: TaskState;
  instances: InstanceRecord[];
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
}

export interface RunDetail {
  tasks: TaskRecord[];
  /** Result notifications sent (`slipway.job.webhook`). */
  notified?: { url: string; status: number | null; error?: string }[];
}

export interface RunRow {
  id: number;
  app: string;
  appId: number;
  trigger: RunTrigger;
  /** The schedule (service name) a scheduled run belongs to. */
  schedule: string | null;
  /** The tick: the run's unique key with the app and schedule. */
  scheduledAt: string | null;
  /** `jobs:run --task T`, or the task of an app.json cron schedule. */
  task: string | null;
  release: number | null;
  imageDigest: string | null;
  state: RunState;
  reason: string | null;
  /** `host:pid` of the process running it. */
  owner: string | null;
  cancelRequested: boolean;
  detail: RunDetail;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const FINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'interrupted', 'skipped', 'missed'];

/** A run's record before it starts: every task pending. */
export function pendingDetail(tasks: { name: string }[]): RunDetail {
  return { tasks: tasks.map((t) => ({ name: t.name, state: 'pending', instances: [], startedAt: null, finishedAt: null })) };
}

/** Whether an attempt's container goes once it exited with `exitCode` (null: never finished). */
export function removesContainer(policy: RemovePolicy, exitCode: number | null): boolean {
  const ok = exitCode === 0;
  return policy === 'remove-all' || (policy === 'remove-finished' && ok) || (policy === 'remove-failed' && !ok);
}

/** Back-off before attempt `n + 1` after `n` failures: base·2^(n-1), capped (10 s, 20 s, 40 s … 6 min). */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

/** Containers of a run that are still there. */
export function keptContainers(detail: RunDetail): string[] {
  return detail.tasks.flatMap((t) => t.instances.flatMap((i) => i.attempts.filter((a) => a.kept).map((a) => a.container)));
}

/** Every container name a run used, for `slipway logs APP --run ID`. */
export function runContainers(detail: RunDetail): string[] {
  return detail.tasks.flatMap((t) => t.instances.flatMap((i) => i.attempts.map((a) => a.container)));
}
