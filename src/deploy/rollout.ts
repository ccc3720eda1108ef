// Blue-green rollout of a release: start the new color beside the old one, wait until every
// replica is healthy, switch the proxy (new color ready, old color drain — no reload), keep the
// old color for the drain period, then stop it. A failure before the switch removes what was
// started and leaves the old release serving untouched.
import { otherColor, type Color, type Progress, type Release, type ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';
import { startOrder } from './services.js';

export type { Color } from './container-spec.js';

export interface RunningContainer {
  id: string;
  name: string;
  ip: string;
  service: string;
  release: number;
  color: Color | null;
}

/** The outside world the rollout drives; the composition root adapts Docker and HAProxy. */
export interface RolloutPorts {
  /** Networks, volumes, the image (a pull may hang: `signal` stops it); `progress` hears what the
   *  user should know before it starts. */
  prepare(release: Release, signal?: AbortSignal, progress?: Progress): Promise<void>;
  start(release: Release, service: ServiceSpec, color: Color | null, index: number): Promise<RunningContainer>;
  /** Resolves once the container counts as started; `signal` stops the wait (with its reason). */
  waitHealthy(c: RunningContainer, service: ServiceSpec, progress: Progress, signal?: AbortSignal): Promise<void>;
  /** Runs a one-off command in the release's image; resolves to its exit code. Aborting `signal`
   *  (or the port's own time limit) removes the container and rejects. */
  runOneOff(release: Release, kind: 'release' | 'predeploy' | 'postdeploy', command: string, progress: Progress, signal?: AbortSignal): Promise<number>;
  list(app: string): Promise<RunningContainer[]>;
  remove(c: RunningContainer, graceSeconds: number): Promise<void>;
  proxy: {
    /** Declares the app's web backends and its route (may reload HAProxy, seamlessly). */
    prepare(app: string, web: { service: string; replicas: number }[]): Promise<void>;
    switchTo(app: string, service: string, color: Color, servers: { addr: string; port: number }[]): Promise<void>;
    /** Requests the color is still handling (the drain waits for 0). */
    inFlight(app: string, service: string, color: Color): Promise<number>;
    /** Takes the color out of rotation (maint) once drained. */
    disable(app: string, service: string, color: Color): Promise<void>;
  };
  /** The longest the old color may take to finish its requests before it is stopped anyway. */
  drainSeconds: number;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export const replicasOf = (release: Release, s: ServiceSpec) => release.scale[s.name] ?? s.replicas;

/** The color a web service's new replicas take: the one not serving now. */
export function nextColor(current: RunningContainer[], service: string, previousRelease: number | null): Color {
  const serving = current.find((c) => c.service === service && c.release === previousRelease && c.color);
  return serving?.color ? otherColor(serving.color) : 'blue';
}

export interface RolloutOptions {
  /** Run the Procfile `release` command (not for a rollback or a scale change: no new code or config). */
  releasePhase?: boolean;
  /** The deploy's deadline. */
  signal?: AbortSignal;
}

/**
 * `live` is called once the new release serves and nothing can undo it any more (right after
 * the switch, before postdeploy and before the old color stops): from then on a crash keeps
 * the new release. A failing postdeploy script is reported; the release stays, as in Dokku.
 * `options.signal` (the deploy's deadline) stops the rollout until then, removing what it
 * started; a release that went live is never undone by it.
 */
export async function rollout(
  release: Release,
  previous: Release | null,
  ports: RolloutPorts,
  progress: Progress,
  live: () => void = () => undefined,
  options: RolloutOptions = {},
): Promise<void> {
  const { signal } = options;
  const t0 = ports.now();
  const say = (s: string) => progress(`-----> ${s}`);
  const existing = await ports.list(release.app);
  const prevVersion = previous?.version ?? null;
  const started: RunningContainer[] = [];
  const colors = new Map<string, Color>();
  const byName = new Map(release.services.map((s) => [s.name, s]));

  try {
    signal?.throwIfAborted();
    await ports.prepare(release, signal, progress);
    if (release.releaseCommand && options.releasePhase !== false) await oneOff(ports, release, 'release', release.releaseCommand, progress, signal);
    const pre = release.appJson?.scripts.predeploy;
    if (pre) await oneOff(ports, release, 'predeploy', pre, progress, signal);

    const web = release.services.filter((s) => s.role === 'web');
    await ports.proxy.prepare(release.app, web.map((s) => ({ service: s.name, replicas: replicasOf(release, s) })));

    // Jobs run only in job runs (src/jobs/), never as part of a rollout.
    for (const layer of startOrder(release.services.filter((s) => s.role !== 'job'))) {
      signal?.throwIfAborted();
      // The first failure stops the other services' waits; every start is still awaited and
      // every container recorded, so the clean-up below misses none of them.
      const stop = new AbortController();
      const waitSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      await settleAll(
        layer.map(async (name) => {
          const service = byName.get(name)!;
          const n = replicasOf(release, service);
          const color = service.role === 'web' ? nextColor(existing, name, prevVersion) : null;
          if (color) colors.set(name, color);
          // Leftovers of this color from a crashed or failed attempt would collide by name.
          for (const c of existing.filter((c) => c.service === name && c.color === color && c.release !== prevVersion && color))
            await ports.remove(c, 0);
          const label = color ? `${name} ${color}` : name;
          if (n === 0) return say(`v${release.version}: ${name} is scaled to 0 (slipway scale ${release.app} ${name}=1 starts it)`);
          say(`v${release.version}: starting ${label} × ${n}`);
          const mine = await settleAll(
            Array.from({ length: n }, async (_, i) => {
              const c = await ports.start(release, service, color, i + 1);
              started.push(c);
              return c;
            }),
            () => stop.abort(),
          );
          await settleAll(
            mine.map((c) => ports.waitHealthy(c, service, progress, waitSignal)),
            () => stop.abort(),
          );
          say(`v${release.version}: ${label} ${n}/${n} healthy`);
        }),
        () => stop.abort(),
      );
    }
  } catch (e) {
    say(`v${release.version} failed; removing its containers — v${prevVersion ?? '-'} keeps serving`);
    await Promise.all(started.map((c) => ports.remove(c, 0).catch(() => undefined)));
    throw e instanceof UserError ? e : new UserError(`deploy of v${release.version} failed: ${(e as Error).message}`);
  }

  // Every replica is healthy: move traffic, then let the old color finish its requests.
  for (const [service, color] of colors) {
    const port = byName.get(service)!.port ?? 5000;
    const servers = started.filter((c) => c.service === service).map((c) => ({ addr: c.ip, port }));
    const t = ports.now();
    await ports.proxy.switchTo(release.app, service, color, servers);
    say(`v${release.version}: ${service} switched to ${color} (${ports.now() - t} ms)`);
  }

  live();
  await postdeploy(ports, release, previous === null, progress, signal);
  const old = existing.filter((c) => !started.some((s) => s.id === c.id));
  if (old.length) {
    if (colors.size) await drain(ports, release.app, [...colors].map(([service, color]) => [service, otherColor(color)]), say, prevVersion);
    // The new release is live: a container that won't go away is reported, not a failed deploy
    // (the next start-up's reconcile removes it).
    await Promise.all(
      old.map((c) =>
        ports
          .remove(c, (previous?.services.find((s) => s.name === c.service) ?? byName.get(c.service))?.stopGraceSeconds ?? 10)
          .catch((e: Error) => say(`could not remove ${c.name}: ${e.message}`)),
      ),
    );
    for (const [service, color] of colors) await ports.proxy.disable(release.app, service, otherColor(color));
  }
  const secs = ((ports.now() - t0) / 1000).toFixed(1);
  const stopped = old.length ? `; v${prevVersion ?? '?'} stopped` : '';
  say(`v${release.version}: ${describe(release, colors)} running${stopped} (${secs} s)`);
}

const DRAIN_POLL_MS = 100;

/** Waits until the old colors have finished their in-flight requests, or the drain limit. */
async function drain(ports: RolloutPorts, app: string, old: [string, Color][], say: (s: string) => void, prev: number | null) {
  const t0 = ports.now();
  const until = t0 + ports.drainSeconds * 1000;
  say(`draining v${prev ?? '?'}: waiting for its in-flight requests (at most ${ports.drainSeconds} s)`);
  for (;;) {
    const open = (await Promise.all(old.map(([service, color]) => ports.proxy.inFlight(app, service, color).catch(() => 0)))).reduce((a, b) => a + b, 0);
    if (open === 0) {
      say(`v${prev ?? '?'} drained in ${((ports.now() - t0) / 1000).toFixed(1)} s`);
      return;
    }
    if (ports.now() >= until) {
      say(`v${prev ?? '?'} still had ${open} request${open === 1 ? '' : 's'} open after ${ports.drainSeconds} s (SLIPWAY_DRAIN_SECONDS); stopping it`);
      return;
    }
    await ports.sleep(DRAIN_POLL_MS);
  }
}

/** `web green 3/3, worker 2/2; jobs extract, report` */
function describe(release: Release, colors: Map<string, Color>): string {
  const services = release.services
    .filter((s) => s.role !== 'job')
    .map((s) => [s.name, colors.get(s.name), `${replicasOf(release, s)}/${replicasOf(release, s)}`].filter(Boolean).join(' '))
    .join(', ');
  const jobs = release.services.filter((s) => s.role === 'job').map((s) => s.name);
  if (!jobs.length) return services;
  const jobList = `jobs ${jobs.join(', ')} (they run with slipway jobs:run or on their schedule)`;
  return services ? `${services}; ${jobList}` : jobList;
}

/** Dokku's `scripts.dokku.postdeploy` every time, Heroku's `scripts.postdeploy` after the first
 *  deploy only. The release already serves: a failure is reported, nothing is undone. */
async function postdeploy(ports: RolloutPorts, release: Release, first: boolean, progress: Progress, signal?: AbortSignal) {
  const scripts = release.appJson?.scripts ?? {};
  const commands = [scripts.postdeploy, first ? scripts.firstDeploy : undefined].filter((c): c is string => Boolean(c));
  for (const cmd of commands) {
    try {
      await oneOff(ports, release, 'postdeploy', cmd, progress, signal);
    } catch (e) {
      progress(` !     ${(e as Error).message}`);
      progress(` !     v${release.version} stays live: postdeploy runs after traffic has moved, so its failure undoes nothing`);
    }
  }
}

/**
 * Waits for every promise to settle (unlike Promise.all, nothing still running is left behind),
 * then throws the first failure. `onFailure` runs at the first one, to stop the others early.
 */
async function settleAll<T>(work: Promise<T>[], onFailure: () => void = () => undefined): Promise<T[]> {
  let first: { error: unknown } | null = null;
  const results = await Promise.allSettled(
    work.map((p) =>
      p.catch((e: unknown) => {
        if (!first) {
          first = { error: e };
          onFailure();
        }
        throw e;
      }),
    ),
  );
  if (first) throw (first as { error: unknown }).error;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

async function oneOff(ports: RolloutPorts, release: Release, kind: 'release' | 'predeploy' | 'postdeploy', cmd: string, progress: Progress, signal?: AbortSignal) {
  progress(`-----> Running ${kind} command: ${cmd}`);
  const code = await ports.runOneOff(release, kind, cmd, (l) => progress(`       ${l}`), signal);
  if (code !== 0) throw new UserError(`${kind} command failed with exit code ${code}: ${cmd}`);
}
