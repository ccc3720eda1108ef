// `slipway run`: a one-off container from the serving release's image, with the release's
// config, the service's environment and volumes, on the app's network — Heroku's `run` and
// Dokku's `run`. Attached, its output streams live and its exit code comes back; detached, it
// runs on, its lines reach the log store, and it is removed once they are all shipped.
import { randomBytes } from 'node:crypto';
import { LABELS, type Progress, type Release, type ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';
import type { Containers } from '../docker/containers.js';
import { appNetworkName, containerCreateOptions, oneOffName, type ContainerCreateSpec } from './container-spec.js';

export interface RunRequest {
  /** Which service's image, environment and volumes; default `web`, else the first. */
  service?: string;
  /** argv; a single argument is a shell command line (`sh -c`), as `heroku run "cmd"` takes it. */
  command: string[];
}

export interface StartedRun {
  id: string;
  name: string;
  service: string;
  release: number;
}

/** The last line of an attached run's HTTP answer: STATUS_PREFIX (queue/progress) + this, as JSON. */
export interface RunOutcome {
  exitCode: number;
}

/** Sent while a command is silent, so no client or proxy idle timeout cuts the answer; clients skip it. */
export const HEARTBEAT_LINE = '\u001fslipway-heartbeat';

/** The log service label one-offs carry: `slipway logs APP --service run` finds them. */
export const RUN_SERVICE = 'run';

/** One argument is a command line for a shell; several are exec'd as they are. */
export function runArgv(command: string[]): string[] {
  if (command.length === 0 || command.every((a) => a.trim() === '')) throw new UserError('nothing to run: slipway run APP -- COMMAND…', 422);
  return command.length === 1 ? ['sh', '-c', command[0]!] : command;
}

export function runService(release: Release, name?: string): ServiceSpec {
  const s = name ? release.services.find((x) => x.name === name) : (release.services.find((x) => x.name === 'web') ?? release.services[0]);
  if (!s) throw new UserError(`v${release.version} has no service ${name ?? ''} (services: ${release.services.map((x) => x.name).join(', ') || 'none'})`, 422);
  return s;
}

/**
 * The service's container, turned into a one-off: the same image, env and volumes, but its
 * own name, no restart, no health check, no log-file volumes, and no network alias (so it
 * never joins the service's DNS name and takes requests meant for the replicas).
 */
export function runSpec(release: Release, service: ServiceSpec, command: string[], suffix: string): ContainerCreateSpec {
  const quiet: ServiceSpec = { ...service, restart: 'no', health: { kind: 'none' }, logFiles: [] };
  const base = containerCreateOptions({
    app: release.app,
    release: { version: release.version, imageRef: release.image.ref, config: release.config },
    service: quiet,
    color: null,
    index: 1,
    extraEnv: { SLIPWAY_CONTAINER: `${RUN_SERVICE}.${suffix}` },
  });
  const network = appNetworkName(release.app);
  return {
    ...base,
    name: oneOffName(release.app, 'run', release.version, suffix),
    Cmd: runArgv(command),
    Labels: {
      [LABELS.app]: release.app,
      [LABELS.service]: RUN_SERVICE,
      [LABELS.release]: String(release.version),
      [LABELS.kind]: RUN_SERVICE,
    },
    HostConfig: { ...base.HostConfig, RestartPolicy: { Name: '' }, AutoRemove: false },
    NetworkingConfig: base.HostConfig.NetworkMode === network ? { EndpointsConfig: { [network]: { Aliases: [] } } } : undefined,
  };
}

export interface RunDeps {
  containers: Containers;
  /** Makes the release's images and the service's volumes present (the rollout's `prepare`). */
  prepare(release: Release): Promise<void>;
  /** Resolves once the log store has every line of the container (or after a bound). */
  shipped(containerId: string): Promise<void>;
  /** Whether this Slipway owns the app (another on the same engine cleans up its own). */
  ownsApp(app: string): boolean;
  /** Where a detached run's clean-up failures go. */
  warn(message: string, fields: Record<string, unknown>): void;
}

export class OneOffRuns {
  constructor(private readonly deps: RunDeps) {}

  /**
   * Runs to completion, each line to `progress` as written; resolves to the exit code. Removed
   * afterwards. `started` is called once nothing but the command itself can fail any more.
   */
  async attached(release: Release, req: RunRequest, progress: Progress, signal?: AbortSignal, started: () => void = () => undefined): Promise<number> {
    const service = runService(release, req.service);
    const spec = runSpec(release, service, req.command, suffix());
    await this.deps.prepare(release);
    started();
    return (await this.deps.containers.runOneOff(spec, progress, signal)).exitCode;
  }

  /** Starts it and returns at once; it is removed after it exits and its lines are in the log store. */
  async detached(release: Release, req: RunRequest): Promise<StartedRun> {
    const service = runService(release, req.service);
    const spec = runSpec(release, service, req.command, suffix());
    await this.deps.prepare(release);
    const c = await this.deps.containers.runContainer(spec);
    void this.removeWhenDone(c.id);
    return { id: c.id, name: c.name, service: service.name, release: release.version };
  }

  /** Exited detached runs left by a restart: removed once shipped. Running ones get a watcher. */
  async adopt(): Promise<void> {
    const runs = await this.deps.containers.listContainers({ all: true });
    for (const c of runs.filter((x) => x.kind === RUN_SERVICE && this.deps.ownsApp(x.app))) void this.removeWhenDone(c.id);
  }

  private async removeWhenDone(id: string): Promise<void> {
    try {
      await this.deps.containers.waitExit(id);
      await this.deps.shipped(id);
      await this.deps.containers.removeContainer(id);
    } catch (e) {
      this.deps.warn('could not remove a finished one-off run', { id, error: (e as Error).message });
    }
  }
}

const suffix = () => randomBytes(3).toString('hex');
