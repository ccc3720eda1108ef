// Changing a service's replicas in place, without a new release (the autoscaler's change): more
// replicas start beside the serving ones and join HAProxy in the serving color only once healthy;
// fewer: the replicas going away stop taking requests (drain), finish what they have, leave the
// backend, then stop with their grace period. The other replicas serve throughout.
import type { Color, Progress, Release } from '../domain.js';
import { UserError } from '../errors.js';
import { replicasOf, type RolloutPorts, type RunningContainer } from './rollout.js';
import { DEFAULT_PORT } from './services.js';

export interface ResizePorts extends Pick<RolloutPorts, 'prepare' | 'start' | 'waitHealthy' | 'list' | 'remove' | 'drainSeconds' | 'sleep' | 'now'> {
  proxy: Pick<RolloutPorts['proxy'], 'prepare'> & {
    /** Exactly these servers serve the color: new ones go ready, missing ones leave. */
    setServers(app: string, service: string, color: Color, servers: { addr: string; port: number }[]): Promise<void>;
    drainServers(app: string, service: string, servers: { addr: string; port: number }[]): Promise<void>;
    inFlightAt(app: string, service: string, servers: { addr: string; port: number }[]): Promise<number>;
  };
}

const DRAIN_POLL_MS = 100;

/** `slipway_demo_web_blue_3` (or an older `slipway-demo-web-blue-3`) → 3. */
export function replicaIndex(name: string): number {
  return Number(/[_-](\d+)$/.exec(name)?.[1] ?? 0);
}

/** The lowest replica numbers not taken. */
export function freeIndexes(taken: number[], count: number): number[] {
  const used = new Set(taken);
  const out: number[] = [];
  for (let i = 1; out.length < count; i++) if (!used.has(i)) out.push(i);
  return out;
}

/** Runs `release`'s `service` with `replicas` replicas; resolves to the count it had before. */
export async function resize(release: Release, serviceName: string, replicas: number, ports: ResizePorts, progress: Progress): Promise<number> {
  const say = (s: string) => progress(`-----> ${s}`);
  const spec = release.services.find((s) => s.name === serviceName);
  if (!spec) throw new UserError(`v${release.version} has no service ${serviceName}`);
  const mine = (await ports.list(release.app)).filter((c) => c.service === serviceName && c.release === release.version);
  const color = spec.role === 'web' ? (mine.find((c) => c.color)?.color ?? null) : null;
  if (spec.role === 'web' && !color) throw new UserError(`${serviceName} of v${release.version} has no running replica to scale`);
  const from = mine.length;
  const port = spec.port ?? DEFAULT_PORT;
  const addr = (c: RunningContainer) => ({ addr: c.ip, port });
  const t0 = ports.now();

  if (replicas > from) {
    const indexes = freeIndexes(mine.map((c) => replicaIndex(c.name)), replicas - from);
    say(`v${release.version}: ${serviceName} ${from} → ${replicas}: starting ${indexes.length} more`);
    await ports.prepare(release);
    const started: RunningContainer[] = [];
    try {
      for (const c of await Promise.all(indexes.map((i) => ports.start(release, spec, color, i)))) started.push(c);
      await Promise.all(started.map((c) => ports.waitHealthy(c, spec, progress)));
    } catch (e) {
      await Promise.all(started.map((c) => ports.remove(c, 0).catch(() => undefined)));
      throw e instanceof UserError ? e : new UserError(`scaling ${serviceName} to ${replicas} failed: ${(e as Error).message}`);
    }
    if (color) {
      // More replicas than the backend has slots: it grows first (one seamless reload).
      const web = release.services.filter((s) => s.role === 'web').map((s) => ({ service: s.name, replicas: s.name === serviceName ? replicas : replicasOf(release, s) }));
      await ports.proxy.prepare(release.app, web);
      await ports.proxy.setServers(release.app, serviceName, color, [...mine, ...started].map(addr));
    }
  } else if (replicas < from) {
    const going = [...mine].sort((a, b) => replicaIndex(b.name) - replicaIndex(a.name)).slice(0, from - replicas);
    const staying = mine.filter((c) => !going.includes(c));
    say(`v${release.version}: ${serviceName} ${from} → ${replicas}: draining ${going.map((c) => c.name).join(', ')}`);
    if (color) {
      await ports.proxy.drainServers(release.app, serviceName, going.map(addr));
      const until = ports.now() + ports.drainSeconds * 1000;
      while ((await ports.proxy.inFlightAt(release.app, serviceName, going.map(addr)).catch(() => 0)) > 0 && ports.now() < until) await ports.sleep(DRAIN_POLL_MS);
      await ports.proxy.setServers(release.app, serviceName, color, staying.map(addr));
    }
    await Promise.all(going.map((c) => ports.remove(c, spec.stopGraceSeconds)));
  }
  say(`v${release.version}: ${serviceName} runs ${replicas} replica${replicas === 1 ? '' : 's'} (was ${from}, ${((ports.now() - t0) / 1000).toFixed(1)} s)`);
  return from;
}
