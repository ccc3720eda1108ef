// What Docker is asked to run for a service replica or a one-off command, as plain data (names,
// env, labels, limits, mounts, health, log rotation); src/docker/containers.ts only sends it.
import { LABELS, type Color, type HealthCheck, type ServiceSpec } from '../domain.js';
import { logFileMounts, type LogFileMount } from '../logs/file-mounts.js';

export type { Color } from '../domain.js';
export type OneOffKind = 'release' | 'predeploy' | 'postdeploy' | 'run';

/** The port a web service gets in PORT when its spec names none (Heroku's and Dokku's default). */
export const DEFAULT_WEB_PORT = 5000;

/**
 * Docker's json-file driver with rotation: 3 files of 10 MB per container. The shippers follow
 * the Engine's log stream into the log store, which keeps history; the engine's copy only has to
 * bridge a shipper restart, so 30 MB is plenty and a chatty app cannot fill the disk.
 * json-file (not `local`) because `docker logs` and the shippers' follow work the same on it.
 */
export const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } } as const;

/** The subset of the Engine API's container-create body Slipway uses (assignable to dockerode's). */
export interface ContainerCreateSpec {
  name: string;
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env: string[];
  Labels: Record<string, string>;
  WorkingDir?: string;
  User?: string;
  StopTimeout?: number;
  Healthcheck?: { Test: string[]; Interval: number; Timeout: number; Retries: number; StartPeriod: number };
  /** A held job container's gate reads its stdin (src/jobs/gate.ts). */
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  HostConfig: {
    NetworkMode: string;
    RestartPolicy: { Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped'; MaximumRetryCount?: number };
    Init?: boolean;
    AutoRemove?: boolean;
    Memory?: number;
    MemoryReservation?: number;
    NanoCpus?: number;
    CpuShares?: number;
    Mounts: Mount[];
    LogConfig: { Type: string; Config: Record<string, string> };
    Privileged?: boolean;
    CapAdd?: string[];
    PidMode?: string;
  };
  NetworkingConfig?: { EndpointsConfig: Record<string, { Aliases: string[] }> };
}

export interface Mount {
  Type: 'volume' | 'bind';
  Source: string;
  Target: string;
  ReadOnly: boolean;
  VolumeOptions?: { Labels: Record<string, string> };
}

/** What of a release a container needs; `imageRef` is the registry ref by digest. */
export interface ReleaseRunInfo {
  version: number;
  imageRef: string;
  config: Record<string, string>;
}

/*
 * Docker names. App names are DNS labels ([a-z0-9-]), so they cannot contain "_": the first "_"
 * after `slipway_` ends the app's part, and `slipway_foo_bar-web_…` (app foo) never meets
 * `slipway_foo-bar_web_…` (app foo-bar). Within an app, a service container always ends in
 * `_SLOT_N` (blue, green or vN; a number), so service names may contain "_" and still never
 * meet; one-offs contain a "." (which no app or service name has), so they never meet either.
 * Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]* in container and volume names.
 */

/** `slipway_demo_web_blue_1`; workers are replaced per release, so `slipway_demo_worker_v7_1`. */
export function containerName(app: string, service: string, slot: Color | number, index: number): string {
  return `slipway_${app}_${service}_${typeof slot === 'number' ? `v${slot}` : slot}_${index}`;
}

/** `slipway_demo_release.v7`: a one-off (release phase, pre/postdeploy, `slipway run`). */
export function oneOffName(app: string, kind: OneOffKind, version: number, suffix?: string): string {
  return `slipway_${app}_${kind}.v${version}${suffix ? `.${suffix}` : ''}`;
}

/** The app's own bridge network; its services reach each other there by service name. An app
 *  name alone follows the prefix, so this name is unique per app as it is. */
export function appNetworkName(app: string): string {
  return `slipway-${app}`;
}

/** A compose named volume, scoped to the app so two apps' `data` volumes never meet. */
export function volumeName(app: string, volume: string): string {
  return `slipway_${app}_${volume}`;
}

/** What a named volume was called before the `_` names: `slipway-APP-VOLUME`, ambiguous
 *  across apps, so adopted only when its `slipway.app` label is the app's own. */
export function legacyVolumeName(app: string, volume: string): string {
  return `slipway-${app}-${volume}`;
}

export interface ServiceContainerInput {
  app: string;
  release: ReleaseRunInfo;
  service: ServiceSpec;
  /** Blue/green for web services; null for workers (named after the release instead). */
  color: Color | null;
  /** 1-based replica number. */
  index: number;
  /** Set last, over everything else (e.g. what the operator injects). */
  extraEnv?: Record<string, string>;
  /** Docker volume of each named volume, when not `volumeName()` (an adopted legacy volume). */
  volumeNames?: Record<string, string>;
}

export function containerCreateOptions(input: ServiceContainerInput): ContainerCreateSpec {
  const { app, release, service: s, color, index } = input;
  const name = containerName(app, s.name, color ?? release.version, index);
  const network = appNetworkName(app);
  const hostNetwork = s.hostAccess?.networkHost === true;
  const env = replicaEnv(input, String(index));
  const logMounts = logFileMounts(name, s.logFiles);
  const labels = replicaLabels(input);
  const mounts = replicaMounts(app, s, logMounts, input.volumeNames);

  const spec: ContainerCreateSpec = {
    name,
    Image: s.image ?? release.imageRef,
    Env: toEnvList(env),
    Labels: labels,
    StopTimeout: s.stopGraceSeconds,
    HostConfig: {
      NetworkMode: hostNetwork ? 'host' : network,
      RestartPolicy: { Name: s.restart === 'no' ? '' : s.restart },
      // An init as PID 1 forwards SIGTERM and reaps zombies: a `node server.js` or `sh -c` that
      // is PID 1 ignores SIGTERM, so every stop would wait out the whole grace period.
      Init: s.init ?? true,
      Mounts: mounts,
      LogConfig: { Type: LOG_CONFIG.Type, Config: { ...LOG_CONFIG.Config } },
    },
  };
  if (s.command) spec.Cmd = s.command;
  if (s.entrypoint) spec.Entrypoint = s.entrypoint;
  if (s.workingDir) spec.WorkingDir = s.workingDir;
  if (s.user) spec.User = s.user;
  if (s.memoryBytes !== undefined) spec.HostConfig.Memory = s.memoryBytes;
  if (s.reservations?.memoryBytes !== undefined) spec.HostConfig.MemoryReservation = s.reservations.memoryBytes;
  if (s.restart === 'on-failure' && s.restartPolicy?.maxAttempts) spec.HostConfig.RestartPolicy.MaximumRetryCount = s.restartPolicy.maxAttempts;
  if (s.nanoCpus !== undefined) spec.HostConfig.NanoCpus = s.nanoCpus;
  if (s.cpuShares !== undefined) spec.HostConfig.CpuShares = s.cpuShares;
  if (s.hostAccess?.privileged) spec.HostConfig.Privileged = true;
  if (s.hostAccess?.capAdd.length) spec.HostConfig.CapAdd = [...s.hostAccess.capAdd];
  if (s.hostAccess?.pidHost) spec.HostConfig.PidMode = 'host';
  const healthcheck = dockerHealthcheck(s.health);
  if (healthcheck) spec.Healthcheck = healthcheck;
  // The alias is what compose gives: `db` resolves to the db service's replicas on the network.
  if (!hostNetwork) spec.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [s.name] } } };
  return spec;
}

/** The environment of a replica: config, PORT, the service's own, Slipway's; `replica` fills
 *  SLIPWAY_CONTAINER (`web.2`; a Swarm template on a swarm). */
export function replicaEnv(input: Omit<ServiceContainerInput, 'index'>, replica: string): Record<string, string> {
  const { app, release, service: s } = input;
  const env: Record<string, string> = { ...release.config };
  if (s.role === 'web') env.PORT = String(s.port ?? DEFAULT_WEB_PORT);
  Object.assign(env, s.environment);
  // `environment: [KEY]` names the app's config value, which wins over env_file and may have changed since the build.
  for (const k of s.configKeys ?? []) if (release.config[k] !== undefined) env[k] = release.config[k];
  return Object.assign(env, {
    SLIPWAY_APP: app,
    SLIPWAY_RELEASE: `v${release.version}`,
    SLIPWAY_SERVICE: s.name,
    // Heroku's DYNO: which replica this is, e.g. `web.1`.
    SLIPWAY_CONTAINER: `${s.name}.${replica}`,
    ...input.extraEnv,
  });
}

/** The labels the shippers, reconciler and `ps` read; ours override the user's. */
export function replicaLabels(input: Pick<ServiceContainerInput, 'app' | 'release' | 'service' | 'color'>): Record<string, string> {
  const { app, release, service: s, color } = input;
  const labels: Record<string, string> = { ...s.labels };
  // Ours are set after the user's so a compose label can never pose as another app or release.
  Object.assign(labels, {
    [LABELS.app]: app,
    [LABELS.service]: s.name,
    [LABELS.release]: String(release.version),
    [LABELS.role]: s.role,
    [LABELS.kind]: s.role,
  });
  // Set even when empty: Docker copies an image's LABELs onto the container, and a Dockerfile's
  // `LABEL slipway.color=blue` must not make a worker look like a web color.
  labels[LABELS.color] = color ?? '';
  return labels;
}

/** The service's volumes (named ones scoped to the app) and a volume per declared log directory. */
export function replicaMounts(app: string, s: ServiceSpec, logMounts: LogFileMount[], volumeNames?: Record<string, string>): Mount[] {
  const volumeLabels = { [LABELS.app]: app };
  return [
    ...s.volumes.map((v): Mount =>
      v.bind
        ? { Type: 'bind', Source: v.source, Target: v.target, ReadOnly: v.readOnly }
        : { Type: 'volume', Source: volumeNames?.[v.source] ?? volumeName(app, v.source), Target: v.target, ReadOnly: v.readOnly, VolumeOptions: { Labels: volumeLabels } },
    ),
    ...logMounts.map((m): Mount => ({
      Type: 'volume',
      Source: m.volume,
      Target: m.target,
      ReadOnly: false,
      VolumeOptions: { Labels: { ...volumeLabels, [LABELS.service]: s.name } },
    })),
  ];
}

export interface OneOffInput {
  app: string;
  release: ReleaseRunInfo;
  command: string;
  kind: OneOffKind;
  /** Makes the name unique when several may run at once (`slipway run`). */
  suffix?: string;
  extraEnv?: Record<string, string>;
}

/**
 * A one-off in the release's image on the app network: Heroku's release phase, app.json
 * pre/postdeploy scripts, `slipway run`. The image's ENTRYPOINT is kept (as `docker run IMAGE sh
 * -c CMD` keeps it) because entrypoints often prepare the environment the command expects.
 */
export function oneOffCreateOptions(input: OneOffInput): ContainerCreateSpec {
  const { app, release, kind } = input;
  const name = oneOffName(app, kind, release.version, input.suffix);
  const network = appNetworkName(app);
  const env = {
    ...release.config,
    SLIPWAY_APP: app,
    SLIPWAY_RELEASE: `v${release.version}`,
    SLIPWAY_CONTAINER: kind,
    ...input.extraEnv,
  };
  return {
    name,
    Image: release.imageRef,
    Cmd: ['sh', '-c', input.command],
    Env: toEnvList(env),
    // Every Slipway label set, so none comes from the image's LABELs (see containerCreateOptions).
    Labels: { [LABELS.app]: app, [LABELS.release]: String(release.version), [LABELS.kind]: kind, [LABELS.service]: kind, [LABELS.role]: '', [LABELS.color]: '' },
    HostConfig: {
      NetworkMode: network,
      RestartPolicy: { Name: '' },
      Init: true,
      // Kept after exit so its output and exit code can be read; the adapter removes it.
      AutoRemove: false,
      Mounts: [],
      LogConfig: { Type: LOG_CONFIG.Type, Config: { ...LOG_CONFIG.Config } },
    },
  };
}

const NS_PER_S = 1e9;

/** compose `healthcheck` → the Engine's HealthConfig, whose durations are nanoseconds. */
export function dockerHealthcheck(health: HealthCheck): ContainerCreateSpec['Healthcheck'] | undefined {
  if (health.kind !== 'docker') return undefined;
  return {
    Test: health.test,
    Interval: Math.round(health.interval * NS_PER_S),
    Timeout: Math.round(health.timeout * NS_PER_S),
    Retries: health.retries,
    StartPeriod: Math.round(health.startPeriod * NS_PER_S),
  };
}

export function toEnvList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
