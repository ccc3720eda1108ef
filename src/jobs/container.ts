// What Docker is asked to run for one attempt of a job instance: the service's container spec
// (image by digest, the run's release config, mounts, limits) named and labelled for the run,
// never restarted by Docker (retries are the run's), with the instance's index in its env. Pure.
import { LABELS, type ServiceSpec } from '../domain.js';
import { containerCreateOptions, type ContainerCreateSpec, type ReleaseRunInfo } from '../deploy/container-spec.js';

export interface AttemptInput {
  app: string;
  release: ReleaseRunInfo;
  task: ServiceSpec;
  runId: number;
  /** 0-based instance (SLIPWAY_JOB_INDEX). */
  index: number;
  instances: number;
  /** 1 for the first try. */
  attempt: number;
}

/** The label filter matching every job container (`label=` of the Engine's API). */
export const JOB_LABEL_FILTER = `${LABELS.kind}=job`;

/** `slipway-demo-transform-run12-3-1`: task, run, instance, attempt — unique per attempt. */
export function jobContainerName(app: string, task: string, runId: number, index: number, attempt: number): string {
  return `slipway-${app}-${task}-run${runId}-${index}-${attempt}`;
}

/** The GLOB matching every container of a run's task (any instance, any attempt). */
export function runContainerGlob(app: string, task: string, runId: number): string {
  return `${jobContainerName(app, task, runId, 0, 0).replace(/-0-0$/, '')}-*`;
}

export function jobContainerOptions(input: AttemptInput): ContainerCreateSpec {
  const { app, task, runId, index, attempt } = input;
  const spec = containerCreateOptions({
    app,
    release: input.release,
    service: { ...task, restart: 'no' },
    color: null,
    index: index + 1,
    extraEnv: {
      SLIPWAY_RUN_ID: String(runId),
      SLIPWAY_JOB_INDEX: String(index),
      SLIPWAY_JOB_INSTANCES: String(input.instances),
      SLIPWAY_JOB_ATTEMPT: String(attempt),
      SLIPWAY_CONTAINER: `${task.name}.${index}`,
    },
  });
  spec.name = jobContainerName(app, task.name, runId, index, attempt);
  spec.Labels[LABELS.kind] = 'job';
  spec.Labels[LABELS.run] = String(runId);
  spec.HostConfig.RestartPolicy = { Name: '' };
  return spec;
}
