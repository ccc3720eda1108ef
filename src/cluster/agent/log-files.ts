// Which log files the agent tails for a swarm task. The agent has no stored releases to read, so
// the task says it in its `slipway.logs.files` label, which Slipway sets on every task it makes
// (service-spec.ts; a container's labels override its image's, so a Dockerfile LABEL cannot set
// it). Whatever the label says, only the task's own log volumes are read: volume N is the one
// named after the task (`TASK-logsN`, Swarm fills the template per task) and mounted in it at
// the declared directory, so no task can have another container's volume tailed.
import { LABELS } from '../../domain.js';
import { logVolumeName, type LogFileMount } from '../../logs/file-mounts.js';
import type { ShippedContainer } from '../../logs/ports.js';

const TASK_NAME = '{{.Task.Name}}';

export function taskLogFiles(c: ShippedContainer): LogFileMount[] {
  let declared: unknown;
  try {
    declared = JSON.parse(c.labels[LABELS.logFiles] ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(declared)) return [];
  return declared.flatMap((m: unknown, i): LogFileMount[] => {
    const { target, pattern } = (m ?? {}) as Partial<LogFileMount>;
    if (typeof target !== 'string' || typeof pattern !== 'string') return [];
    const volume = logVolumeName(TASK_NAME, i).replace(TASK_NAME, c.name);
    return c.mounts?.some((x) => x.name === volume && x.target === target) ? [{ volume, target, pattern }] : [];
  });
}
