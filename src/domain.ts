// The typed values that pass between stages, in the order of DESIGN.md's flow:
// SourceRevision (source) → BuiltImage (build) → ImageRef (registry) → Release (deploy).
// Nothing here does I/O.

/** The two sides of a blue-green web service: one serves while the other takes the next release. */
export type Color = 'blue' | 'green';
export const otherColor = (c: Color): Color => (c === 'blue' ? 'green' : 'blue');

/** How a deploy was started; shown by `slipway deploys`. */
export type Trigger = 'push' | 'webhook' | 'cli' | 'rollback' | 'config' | 'scale' | 'autoscale' | 'drain';

/** A sink for the live, user-facing progress of a step (git push `remote:` lines, CLI, API). */
export type Progress = (line: string) => void;

/** One commit's tree, checked out in a directory the pipeline owns and removes afterwards. */
export interface SourceRevision {
  app: string;
  /** 40-hex commit sha; for a tar upload, a sha1 of the upload. */
  sha: string;
  /** `refs/heads/main`, or `upload` for `slipway deploy APP DIR`. */
  ref: string;
  dir: string;
  message?: string;
}

/** app.json `healthchecks` entry (Dokku's format). Times in seconds. */
export interface HttpHealthCheck {
  type?: 'startup' | 'liveness' | 'readiness';
  path: string;
  /** Text the response body must contain. */
  content?: string;
  attempts: number;
  timeout: number;
  /** Seconds to wait between attempts. */
  wait: number;
  /** Seconds to wait before the first attempt. */
  initialDelay: number;
}

/** One app.json `env` entry, with Dokku's defaults filled in. */
export interface AppEnvVar {
  /** Default value, set on the first deploy when the config lacks the key. */
  value?: string;
  /** A deploy fails while the key has no value (Dokku's and Heroku's default: true). */
  required: boolean;
  /** `secret`: 64 hex characters generated once, on the first deploy. */
  generator?: 'secret';
  /** Dokku's `sync`: the value is set on every deploy, over the config's. */
  sync: boolean;
}

export interface AppJson {
  healthchecks: Record<string, HttpHealthCheck[]>;
  scripts: {
    /** `scripts.dokku.predeploy`: in the new image before traffic moves; a failure aborts the deploy. */
    predeploy?: string;
    /** `scripts.dokku.postdeploy`: after every deploy's switch; a failure is reported, the release stays. */
    postdeploy?: string;
    /** Heroku's `scripts.postdeploy`: once, after the app's first deploy. */
    firstDeploy?: string;
  };
  env: Record<string, AppEnvVar>;
  /** `formation`: replicas per process type, set on every deploy (Procfile apps); null when absent. */
  formation: Record<string, number> | null;
  /** Dokku's `cron` entries: a command run in the release's image on a schedule. */
  cron?: { command: string; schedule: string }[];
}

/** Output of the build stage: a local image plus what the repo says about running it. */
export interface BuiltImage {
  app: string;
  sha: string;
  /** Local image id, `sha256:…`. */
  imageId: string;
  /** The buildpack used, or null when the repo's Dockerfile was. */
  buildpack: string | null;
  /** Procfile process types (name → command); empty when there is no Procfile. */
  processes: Record<string, string>;
  appJson: AppJson | null;
  /** The compose file's text and name, when the repo has one. */
  compose: { file: string; text: string } | null;
  /** First port the image EXPOSEs, if any. */
  exposedPort: number | null;
  /** Every EXPOSE of the image (`5432/tcp`, `53/udp`), for SLIPWAY_EXPOSE_PORTS. */
  exposed?: string[];
}

/** `repo@sha256:…` or a bare image id `sha256:…`: names one image for good. A tag can be moved
 *  by whoever can push to the registry, so releases never run one. */
export function isPinnedImage(ref: string): boolean {
  return /^[^\s@]+@sha256:[0-9a-f]{64}$/.test(ref) || /^sha256:[0-9a-f]{64}$/.test(ref);
}

/** An image stored in the registry. Deploys run `ref` (by digest), never a moving tag. */
export interface ImageRef {
  /** `127.0.0.1:5000/demo` */
  repository: string;
  /** Tags pushed for it: `v3`, `git-0123456789ab`. */
  tags: string[];
  /** `sha256:…` manifest digest reported by the registry. */
  digest: string;
  /** `repository@digest` */
  ref: string;
}

export type HealthCheck =
  | { kind: 'http'; checks: HttpHealthCheck[] }
  /** compose `healthcheck`, run by Docker in the container; times in seconds. */
  | { kind: 'docker'; test: string[]; interval: number; timeout: number; retries: number; startPeriod: number }
  /** Default: the port answers HTTP (any status). */
  | { kind: 'port' }
  | { kind: 'none' };

export interface VolumeMount {
  /** Named volume (scoped to the app), or an absolute host path when `bind` is true. */
  source: string;
  target: string;
  readOnly: boolean;
  bind: boolean;
}

/** What happens to a job's containers once they exit (Aliyun's `remove_containers` values). */
export type RemovePolicy = 'keep-all' | 'remove-finished' | 'remove-failed' | 'remove-all';
export const REMOVE_POLICIES: readonly RemovePolicy[] = ['keep-all', 'remove-finished', 'remove-failed', 'remove-all'];

/** forbid: skip a tick while the previous run goes on; replace: stop it; allow: overlap. */
export type Concurrency = 'forbid' | 'allow' | 'replace';

/** A cron schedule (label `slipway.schedule`, app.json `cron`). */
export interface ScheduleSpec {
  /** 5 fields, 6 with seconds first, or @hourly/@daily/@weekly/@monthly/@yearly. */
  cron: string;
  /** IANA zone; absent = the server's local zone. */
  timezone?: string;
  concurrency: Concurrency;
  /** A tick missed (Slipway down) still runs when it is at most this late; older ones are recorded missed. */
  deadlineSeconds: number;
  /** Runs of this schedule kept in the history. */
  history: number;
  /** true: only this task runs (app.json cron); false: the app's whole job graph. */
  taskOnly: boolean;
}

/** A batch task: runs to completion, with retries (labels `slipway.job*`, `aliyun.*`). */
export interface JobSpec {
  /** Attempts after the first, per instance. */
  retries: number;
  removeContainers: RemovePolicy;
  /** Where a run's result is POSTed, signed with the app's webhook secret. */
  webhook?: string;
  schedule?: ScheduleSpec;
}

/** One service of an app, as the deploy stage runs it (from compose, Procfile or default). */
export interface ServiceSpec {
  name: string;
  /** `web` services get PORT, a route and blue-green; workers are replaced in place; jobs run
   *  only in runs (`slipway jobs:run`, a schedule), never in a rollout. */
  role: 'web' | 'worker' | 'job';
  /** Jobs only. */
  job?: JobSpec;
  /** A compose `image:` to run instead of the app's built image — pinned when the release is
   *  made (`redis@sha256:…`, or a local image id), so a rollback runs the very same image. */
  image?: string;
  /** The compose `image:` as written (`redis:7`) when `image` holds its pin. */
  imageTag?: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  /** Keys `environment:` names alone: their value is the release's config value, over `environment`. */
  configKeys?: string[];
  /** Container port traffic goes to (web only). */
  port?: number;
  replicas: number;
  health: HealthCheck;
  volumes: VolumeMount[];
  dependsOn: { service: string; condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }[];
  memoryBytes?: number;
  nanoCpus?: number;
  cpuShares?: number;
  restart: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  labels: Record<string, string>;
  stopGraceSeconds: number;
  /** compose `init: false` turns off the init process (tini) Slipway runs as PID 1 by default. */
  init?: boolean;
  /** Globs of log files inside the container to ship (label `slipway.logs.files`). */
  logFiles: string[];
  /** compose `working_dir` and `user`. */
  workingDir?: string;
  user?: string;
  /** compose `deploy.resources.reservations`: what a swarm node must have free to take a replica. */
  reservations?: { memoryBytes?: number; nanoCpus?: number };
  /** compose `deploy.placement` (swarm): which nodes may run the replicas. */
  placement?: { constraints: string[]; maxReplicasPerNode?: number };
  /** compose `deploy.restart_policy`; on one host its condition and max_attempts apply. */
  restartPolicy?: { condition: 'none' | 'on-failure' | 'any'; delaySeconds?: number; maxAttempts?: number; windowSeconds?: number };
  /** Autoscaling limits from the compose labels (`slipway.autoscale.*`, `aliyun.auto_scaling.*`). */
  autoscale?: AutoscaleRule;
  /** Host-level access from compose (`privileged`, `cap_add`, `pid: host`, `network_mode: host`);
   *  present only when the operator set SLIPWAY_ALLOW_PRIVILEGED. */
  hostAccess?: { privileged: boolean; capAdd: string[]; pidHost: boolean; networkHost: boolean };
}

/**
 * When the autoscaler changes a service's replicas: CPU in % of one CPU per replica and memory in %
 * of the memory limit, averaged over the window; replicas between the instance bounds, `step` at a time.
 */
export interface AutoscaleRule {
  maxCpu?: number;
  minCpu?: number;
  maxMemory?: number;
  minMemory?: number;
  step: number;
  minInstances: number;
  maxInstances: number;
}

export type ReleaseStatus = 'pending' | 'deploying' | 'active' | 'superseded' | 'failed' | 'interrupted';

/**
 * What a release's compose services were derived from, kept with it: `${VAR}` and named
 * `environment:` keys depend on the config, so a config change derives the services again.
 */
export interface ServiceSource {
  compose: { file: string; text: string };
  /** Files the compose file read from the repo (env_file), by path, as they were at build time. */
  files: Record<string, string>;
  exposedPort: number | null;
  appJson: AppJson | null;
}

/** An immutable, numbered release: image + config + services + scale. */
export interface Release {
  app: string;
  version: number;
  image: ImageRef;
  sha: string | null;
  config: Record<string, string>;
  services: ServiceSpec[];
  /** Replicas per service, overriding the spec's. */
  scale: Record<string, number>;
  appJson: AppJson | null;
  /** Procfile `release` command: runs once in a one-off container before traffic moves. */
  releaseCommand: string | null;
  /** The compose source the services came from (null without a compose file). */
  serviceSource: ServiceSource | null;
  description: string;
  status: ReleaseStatus;
  createdAt: string;
}

/** App names are DNS labels so they can be hostnames, network and container names. */
export const APP_NAME_RULE = 'app names are 1–63 characters of a-z, 0-9 and "-", not starting or ending with "-"';
export function isValidAppName(name: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name);
}

/** Labels on every container, image and volume Slipway makes; the shippers, reconciler and build cache read them. */
export const LABELS = {
  app: 'slipway.app',
  service: 'slipway.service',
  release: 'slipway.release',
  /** The commit an image was built from. */
  sha: 'slipway.sha',
  color: 'slipway.color',
  role: 'slipway.role',
  /** `web`/`worker` for service containers, `job` for job runs, `release`/`predeploy`/`postdeploy`/`run` for one-offs. */
  kind: 'slipway.kind',
  /** The job run a job container belongs to. */
  run: 'slipway.run',
  /** Swarm tasks only: JSON array of LogFileMount, what the node agent (which has no releases
   *  to read) tails. Always set on a task by Slipway, so an image's LABEL cannot set it. */
  logFiles: 'slipway.logs.files',
  /** `swarm` on what runs on a swarm: the node agents ship its logs, not the server. */
  engine: 'slipway.engine',
} as const;
