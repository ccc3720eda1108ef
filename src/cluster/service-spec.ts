// What Swarm is asked to run for one service of a release, as plain data: a Swarm service per
// web color (and per release for workers), DNS round-robin on the app's overlay network (no
// VIP: there is no IPVS to carry one, and HAProxy balances anyway), with the compose file's
// replicas, resources, placement and restart policy. src/docker/swarm.ts only sends it.
import { LABELS, type Color, type ServiceSpec } from '../domain.js';
import type { ServiceSpecBody } from '../docker/swarm.js';
import { LOG_CONFIG, dockerHealthcheck, replicaEnv, replicaLabels, replicaMounts, toEnvList, type ReleaseRunInfo } from '../deploy/container-spec.js';
import { logFileMounts } from '../logs/file-mounts.js';

const NS = 1e9;

/** `slipway_demo_web_blue`; workers are replaced per release: `slipway_demo_worker_v7` (the
 *  container names' scheme without the replica, so no two apps' services can meet: see
 *  containerName). */
export function swarmServiceName(app: string, service: string, slot: Color | number): string {
  return `slipway_${app}_${service}_${typeof slot === 'number' ? `v${slot}` : slot}`;
}

/** The app's overlay network: attachable, so one-offs and the edge container join it too. */
export function overlayName(app: string): string {
  return `slipway-${app}`;
}

export interface SwarmServiceInput {
  app: string;
  /** `imageRef` as the nodes pull it: the cluster registry's address, by digest. */
  release: ReleaseRunInfo;
  service: ServiceSpec;
  color: Color | null;
  replicas: number;
}

export function swarmServiceSpec(input: SwarmServiceInput): ServiceSpecBody {
  const { app, release, service: s, color } = input;
  const name = swarmServiceName(app, s.name, color ?? release.version);
  // Swarm fills templates per task: each replica's log volumes are its own, as on one host.
  const logMounts = logFileMounts('{{.Task.Name}}', s.logFiles);
  // The node agents read the log files from this label (always set: see agent/log-files.ts).
  const labels = { ...replicaLabels(input), [LABELS.logFiles]: JSON.stringify(logMounts), [LABELS.engine]: 'swarm' };
  const container: Record<string, unknown> = {
    Image: s.image ?? release.imageRef,
    Env: toEnvList(replicaEnv(input, '{{.Task.Slot}}')),
    Labels: labels,
    Init: s.init ?? true,
    StopGracePeriod: Math.round(s.stopGraceSeconds * NS),
    Mounts: replicaMounts(app, s, logMounts),
  };
  // compose `entrypoint` replaces the image's ENTRYPOINT (Swarm's Command), `command` its CMD (Args).
  if (s.entrypoint) container.Command = s.entrypoint;
  if (s.command) container.Args = s.command;
  if (s.workingDir) container.Dir = s.workingDir;
  if (s.user) container.User = s.user;
  const health = dockerHealthcheck(s.health);
  if (health) container.HealthCheck = health;

  const task: Record<string, unknown> = {
    ContainerSpec: container,
    RestartPolicy: restartPolicy(s),
    Networks: [{ Target: overlayName(app), Aliases: [s.name] }],
    LogDriver: { Name: LOG_CONFIG.Type, Options: { ...LOG_CONFIG.Config } },
  };
  const limits = dropUndefined({ NanoCPUs: s.nanoCpus, MemoryBytes: s.memoryBytes });
  const reservations = dropUndefined({ NanoCPUs: s.reservations?.nanoCpus, MemoryBytes: s.reservations?.memoryBytes });
  if (Object.keys(limits).length || Object.keys(reservations).length) task.Resources = { Limits: limits, Reservations: reservations };
  if (s.placement) task.Placement = dropUndefined({ Constraints: s.placement.constraints, MaxReplicas: s.placement.maxReplicasPerNode });

  return {
    Name: name,
    Labels: labels,
    TaskTemplate: task,
    Mode: { Replicated: { Replicas: input.replicas } },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

/** compose `deploy.restart_policy`, else what `restart:` means on one host. */
export function restartPolicy(s: ServiceSpec): Record<string, unknown> {
  const p = s.restartPolicy;
  if (!p) return { Condition: s.restart === 'no' ? 'none' : s.restart === 'on-failure' ? 'on-failure' : 'any' };
  return dropUndefined({
    Condition: p.condition,
    Delay: p.delaySeconds === undefined ? undefined : Math.round(p.delaySeconds * NS),
    MaxAttempts: p.maxAttempts,
    Window: p.windowSeconds === undefined ? undefined : Math.round(p.windowSeconds * NS),
  });
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
