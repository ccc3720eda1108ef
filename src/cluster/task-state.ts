// A Swarm task, as the health wait sees a container (pure): which states mean "still starting",
// "running", "exited" (the app's failure) — and "moved by Swarm", which is not the app's fault:
// its node was lost or drained, and Swarm puts a new task in the same slot.
import type { ContainerState } from '../deploy/health.js';
import type { TaskInfo } from '../docker/swarm.js';

/** Ended by the app itself (it exited, or could not start): never followed to a replacement. */
const ENDED = ['complete', 'failed', 'rejected'];
const STARTING = ['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready'];

export function taskState(t: TaskInfo, hasHealthcheck: boolean): ContainerState {
  const base = { exitCode: t.exitCode ?? (t.state === 'complete' ? 0 : 1), restartCount: 0 };
  if (ENDED.includes(t.state)) return { ...base, status: 'exited' };
  if (t.desiredState !== 'running' || t.state === 'orphaned' || t.state === 'shutdown' || t.state === 'remove') return { ...base, status: 'removing' };
  // Not started yet: with a HEALTHCHECK, its check is still to come (the wait waits for it).
  if (STARTING.includes(t.state)) return hasHealthcheck ? { ...base, status: 'created', health: { status: 'starting', log: [] } } : { ...base, status: 'created' };
  // Swarm reports a task with a HEALTHCHECK as `starting` until the check passes, then `running`.
  if (!hasHealthcheck) return { ...base, status: t.state === 'running' ? 'running' : 'created' };
  if (t.state === 'starting') return { ...base, status: 'running', health: { status: 'starting', log: [] } };
  return { ...base, status: 'running', health: { status: 'healthy', log: [] } };
}

/** True when Swarm took the task away (node down or drained), rather than the app failing. */
export function movedBySwarm(t: TaskInfo): boolean {
  return !ENDED.includes(t.state) && (t.desiredState !== 'running' || t.state === 'orphaned');
}
