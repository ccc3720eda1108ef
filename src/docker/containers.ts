// The Docker Engine adapter for containers: run a ContainerCreateSpec, stop, remove, list by
// Slipway labels, inspect health, tail logs, run one-offs with their output streamed live.
import { PassThrough, type Readable } from 'node:stream';
import readline from 'node:readline';
import type Dockerode from 'dockerode';
import type { Progress } from '../domain.js';
import { UserError } from '../errors.js';
import type { Color, ContainerCreateSpec } from '../deploy/container-spec.js';
import type { ContainerState } from '../deploy/health.js';
import { engineError } from './client.js';
import { inspectImage } from './images.js';
import { LABELS } from '../domain.js';

export interface RunningContainer {
  id: string;
  name: string;
  /** Address on the app network (127.0.0.1 with host networking; empty if it already exited). */
  ip: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  app: string;
  service: string | null;
  release: number;
  color: Color | null;
  /** `web`/`worker`, or the one-off kind. */
  kind: string;
  /** Docker's state: running, exited, created, restarting… */
  state: string;
  ip: string | null;
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** When it was created, ms since the epoch. */
  createdAt: number;
  /** Runs on a swarm (`slipway.engine=swarm`): its node's agent ships its logs and metrics. */
  onSwarm?: boolean;
}

export interface ContainerFilter {
  app?: string;
  service?: string;
  release?: number;
  color?: Color;
  /** A job run's containers. */
  run?: number;
  /** Include stopped containers. */
  all?: boolean;
}

/** How many of a one-off's last output lines its result keeps (all of them went to progress). */
const ONE_OFF_OUTPUT_LINES = 100;

export class Containers {
  constructor(private readonly docker: Dockerode) {}

  /** Creates and starts; a leftover of the same name (a crashed attempt) is replaced. */
  async runContainer(spec: ContainerCreateSpec): Promise<RunningContainer> {
    const container = await this.create(spec);
    try {
      await container.start();
    } catch (e) {
      await container.remove({ force: true }).catch(() => undefined);
      throw engineError(e, `cannot start ${spec.name}`, true);
    }
    const network = spec.HostConfig.NetworkMode;
    if (network === 'host') return { id: container.id, name: spec.name, ip: '127.0.0.1' };
    // A container that already exited has no address; the health wait then reports why it exited.
    const info = await container.inspect();
    return { id: container.id, name: spec.name, ip: info.NetworkSettings.Networks[network]?.IPAddress ?? '' };
  }

  /** Creates without starting (a job attempt is recorded between the two); returns the id. */
  async createContainer(spec: ContainerCreateSpec): Promise<string> {
    return (await this.create(spec)).id;
  }

  async startContainer(id: string, name = id): Promise<void> {
    await this.docker
      .getContainer(id)
      .start()
      .catch((e) => {
        throw engineError(e, `cannot start ${name}`, true);
      });
  }

  /**
   * Attaches to a created container's stdin (before its start, so nothing written is lost); the
   * returned `send` writes one line and closes it, resolving once the Engine has it.
   */
  async attachStdin(id: string, name = id): Promise<{ send(line: string): Promise<void>; close(): void }> {
    const stream = (await this.docker
      .getContainer(id)
      .attach({ stream: true, stdin: true, hijack: true })
      .catch((e) => {
        throw engineError(e, `cannot attach to ${name}`);
      })) as NodeJS.ReadWriteStream & { destroy(): void };
    stream.on('error', () => undefined);
    return {
      send: (line) =>
        new Promise<void>((resolve, reject) => {
          stream.write(`${line}\n`, (e) => (e ? reject(engineError(e, `cannot write to ${name}'s stdin`)) : resolve()));
          stream.end();
        }),
      close: () => stream.destroy(),
    };
  }

  /** What a container of `image` runs unless told otherwise; null when the engine lacks the image. */
  async imageCommand(image: string): Promise<{ Entrypoint: string[] | null; Cmd: string[] | null } | null> {
    const info = await inspectImage(this.docker, image);
    return info && { Entrypoint: info.entrypoint, Cmd: info.cmd };
  }

  /** Resolves with the exit code once the container is not running (at once if it already exited). */
  async waitExit(id: string): Promise<number> {
    const r = (await this.docker
      .getContainer(id)
      .wait({ condition: 'not-running' })
      .catch((e) => {
        throw engineError(e, `cannot wait for ${id.slice(0, 12)}`);
      })) as { StatusCode: number };
    return r.StatusCode;
  }

  /** Docker's view of a container's run: null when it is gone. */
  async exitState(id: string): Promise<{ status: string; exitCode: number; startedAt: string; finishedAt: string } | null> {
    try {
      const s = (await this.docker.getContainer(id).inspect()).State;
      return { status: s.Status, exitCode: s.ExitCode, startedAt: s.StartedAt, finishedAt: s.FinishedAt };
    } catch (e) {
      if (status(e) === 404) return null;
      throw engineError(e, `cannot inspect ${id}`);
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (e) {
      // 304: already stopped; 404: already gone. Both are what the caller wanted.
      if (status(e) !== 304 && status(e) !== 404) throw engineError(e, `cannot stop ${id}`);
    }
  }

  /** Force-removes (a running container is killed) with its anonymous volumes; named ones stay. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      // 409: removal already in progress (a concurrent cleanup).
      if (status(e) !== 404 && status(e) !== 409) throw engineError(e, `cannot remove ${id}`);
    }
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
    const label: string[] = [LABELS.app];
    if (filter.app !== undefined) label[0] = `${LABELS.app}=${filter.app}`;
    if (filter.service !== undefined) label.push(`${LABELS.service}=${filter.service}`);
    if (filter.release !== undefined) label.push(`${LABELS.release}=${filter.release}`);
    if (filter.color !== undefined) label.push(`${LABELS.color}=${filter.color}`);
    if (filter.run !== undefined) label.push(`${LABELS.run}=${filter.run}`);
    const list = await this.docker.listContainers({ all: filter.all ?? false, filters: { label } }).catch((e) => {
      throw engineError(e, 'cannot list containers');
    });
    return list.map((c) => {
      const l = c.Labels;
      const app = l[LABELS.app] ?? '';
      const nets = c.NetworkSettings?.Networks ?? {};
      const net = nets[`slipway-${app}`] ?? Object.values(nets)[0];
      const color = l[LABELS.color];
      const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1];
      const info: ContainerInfo = {
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        app,
        service: l[LABELS.service] ?? null,
        release: Number(l[LABELS.release] ?? NaN),
        color: color === 'blue' || color === 'green' ? color : null,
        kind: l[LABELS.kind] ?? '',
        state: c.State,
        ip: net?.IPAddress || null,
        createdAt: c.Created * 1000,
      };
      if (health) info.health = health === 'health: starting' ? 'starting' : (health as 'healthy' | 'unhealthy');
      if (l[LABELS.engine] === 'swarm') info.onSwarm = true;
      return info;
    });
  }

  async inspectHealth(id: string): Promise<ContainerState> {
    const info = await this.docker
      .getContainer(id)
      .inspect()
      .catch((e) => {
        if (status(e) === 404) throw new UserError(`container ${id.slice(0, 12)} is gone (removed while starting)`);
        throw engineError(e, `cannot inspect ${id}`);
      });
    const s = info.State;
    const state: ContainerState = { status: s.Status as ContainerState['status'], exitCode: s.ExitCode, restartCount: info.RestartCount };
    if (s.Health) {
      state.health = {
        status: s.Health.Status as NonNullable<ContainerState['health']>['status'],
        log: (s.Health.Log ?? []).map((r) => ({ exitCode: r.ExitCode, output: r.Output })),
      };
    }
    return state;
  }

  /** The container's last `lines` lines of stdout and stderr, oldest first. */
  async logTail(id: string, lines: number): Promise<string[]> {
    const buf = await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false });
    return demuxFrames(buf).split('\n').map((l) => l.replace(/\r$/, '')).filter((l, i, all) => l !== '' || i < all.length - 1);
  }

  /**
   * Runs a one-off to completion: each output line goes to `progress` as it is written, then the
   * exit code and the last lines come back. The container is removed afterwards.
   */
  async runOneOff(spec: ContainerCreateSpec, progress: Progress, signal?: AbortSignal): Promise<{ exitCode: number; output: string }> {
    signal?.throwIfAborted();
    const container = await this.create(spec);
    // Aborting kills and removes the container, which ends the wait below.
    let killed: Promise<void> | undefined;
    const kill = () => void (killed = this.removeContainer(container.id).catch(() => undefined));
    signal?.addEventListener('abort', kill, { once: true });
    try {
      await container.start().catch((e) => {
        throw engineError(e, `cannot start ${spec.name}`, true);
      });
      // Follow from the start of the container's log: nothing written before we attach is lost.
      const stream = (await container.logs({ stdout: true, stderr: true, follow: true })) as Readable;
      const tail: string[] = [];
      const streamed = this.eachLine(stream, (line) => {
        progress(line);
        tail.push(line);
        if (tail.length > ONE_OFF_OUTPUT_LINES) tail.shift();
      });
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await streamed;
      signal?.throwIfAborted();
      return { exitCode: StatusCode, output: tail.join('\n') };
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw e;
    } finally {
      signal?.removeEventListener('abort', kill);
      await killed;
      await this.removeContainer(container.id);
    }
  }

  /** Runs the container named `spec.name` if it is not running (creating it if missing); its pid. */
  async ensureRunning(spec: ContainerCreateSpec): Promise<number> {
    const c = this.docker.getContainer(spec.name);
    const inspect = () =>
      c.inspect().catch((e) => {
        if (status(e) === 404) return null;
        throw engineError(e, `cannot inspect ${spec.name}`);
      });
    let info = await inspect();
    if (!info) {
      await this.docker.createContainer(spec as Dockerode.ContainerCreateOptions).catch((e) => {
        if (status(e) !== 409) throw engineError(e, `cannot create ${spec.name}`, true);
      });
      info = await inspect();
    }
    if (info && !info.State.Running) {
      await c.start().catch((e) => {
        if (status(e) !== 304) throw engineError(e, `cannot start ${spec.name}`);
      });
      info = await inspect();
    }
    if (!info?.State.Pid) throw new Error(`${spec.name} is not running (${info?.State.Status ?? 'gone'})`);
    return info.State.Pid;
  }

  /** The container's init pid (null when not running) and restart count, for the metrics collector. */
  async runtime(id: string): Promise<{ pid: number | null; restartCount: number } | null> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return { pid: info.State.Pid || null, restartCount: info.RestartCount ?? 0 };
    } catch (e) {
      if (status(e) === 404) return null;
      throw engineError(e, `cannot inspect ${id}`);
    }
  }

  /** One stats document from the Engine, without streaming (`one-shot`: no second CPU reading). */
  async statsOnce(id: string): Promise<unknown> {
    return this.docker
      .getContainer(id)
      .stats({ stream: false, 'one-shot': true } as { stream: false })
      .catch((e) => {
        throw engineError(e, `cannot read stats of ${id}`);
      });
  }

  async containerIp(id: string, network: string): Promise<string> {
    const info = await this.docker.getContainer(id).inspect();
    const ip = info.NetworkSettings.Networks[network]?.IPAddress;
    if (!ip) throw new Error(`container ${info.Name.replace(/^\//, '')} has no address on network ${network}`);
    return ip;
  }

  private async create(spec: ContainerCreateSpec): Promise<Dockerode.Container> {
    // @types/dockerode marks VolumeOptions.NoCopy and DriverConfig required; the Engine does not.
    const body = spec as Dockerode.ContainerCreateOptions;
    try {
      return await this.docker.createContainer(body);
    } catch (e) {
      if (status(e) !== 409) throw engineError(e, `cannot create ${spec.name}`, true);
    }
    // 409: the name is taken — by a leftover of a crashed or interrupted deploy of this app, which
    // is replaced; never by force when its label says it is another app's (or no app's).
    const owner = await this.docker
      .getContainer(spec.name)
      .inspect()
      .then((c) => c.Config.Labels?.[LABELS.app] ?? null, () => null);
    const app = spec.Labels[LABELS.app];
    if (owner !== app) throw new UserError(`cannot create ${spec.name}: a container of that name exists and is ${owner ? `app ${owner}'s` : 'not made by Slipway'}; it is left alone (remove or rename it)`, 409);
    await this.removeContainer(spec.name);
    return this.docker.createContainer(body).catch((e) => {
      throw engineError(e, `cannot create ${spec.name}`, true);
    });
  }

  /** Splits a multiplexed log stream into lines (stdout and stderr kept apart so lines don't mix). */
  private eachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
    const out = new PassThrough();
    const err = new PassThrough();
    this.docker.modem.demuxStream(stream, out, err);
    const done = new Promise<void>((resolve) => {
      const end = () => {
        out.end();
        err.end();
      };
      stream.once('end', end);
      stream.once('close', end);
      stream.once('error', end);
      let open = 2;
      for (const s of [out, err]) {
        readline.createInterface({ input: s, crlfDelay: Infinity }).on('line', onLine).once('close', () => --open || resolve());
      }
    });
    return done;
  }
}

/** Joins the payloads of Docker's multiplexed frames (8-byte header: stream, 0,0,0, size BE). */
export function demuxFrames(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const kind = buf[at]!;
    if (kind > 2) return buf.toString('utf8'); // a TTY container's log is not framed
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

const status = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;
