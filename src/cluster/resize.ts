// Changing a service's replicas in place on a swarm (the autoscaler's change): the replicas of
// the serving color's Swarm service (or the release's worker service) change, nothing else.
// More: the new tasks join HAProxy in the serving color once healthy. Fewer: Swarm, not Slipway,
// picks the tasks that go (its replicated orchestrator removes from the nodes running the most
// copies, not the highest slots), and takes a task out of its own service discovery 2 s before
// it signals it to stop (moby's defaultGossipConvergeDelay); in that window Slipway sees which
// tasks Swarm let go and drains them in HAProxy, so they take no new request and finish theirs.
// While a resize runs, the follower leaves the app's HAProxy servers to it.
import { LABELS, type Color, type Progress, type Release } from '../domain.js';
import { UserError } from '../errors.js';
import type { Swarm, TaskInfo } from '../docker/swarm.js';
import type { ResizePorts } from '../deploy/resize.js';
import { replicasOf, type RolloutPorts, type RunningContainer } from '../deploy/rollout.js';
import { DEFAULT_PORT } from '../deploy/services.js';
import { overlayName } from './service-spec.js';

export interface SwarmResizeDeps {
  swarm: Swarm;
  /** The swarm's rollout ports: health as a rollout waits for it. */
  ports: Pick<RolloutPorts, 'waitHealthy' | 'drainSeconds'>;
  proxy: ResizePorts['proxy'];
  healthTimeoutSeconds: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const POLL_MS = 100;
/** How long Swarm may take to mark the tasks it lets go (it has 2 s before they get a signal). */
const CHOOSE_MS = 10_000;

/** Runs `release`'s `service` with `replicas` replicas; resolves to the count it had before. */
export async function swarmResize(deps: SwarmResizeDeps, release: Release, serviceName: string, replicas: number, progress: Progress): Promise<number> {
  const { swarm, proxy } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const say = (s: string) => progress(`-----> ${s}`);
  const spec = release.services.find((s) => s.name === serviceName);
  if (!spec) throw new UserError(`v${release.version} has no service ${serviceName}`);
  const service = (await swarm.services([`${LABELS.app}=${release.app}`, `${LABELS.service}=${serviceName}`, `${LABELS.release}=${release.version}`]))[0];
  if (!service) throw new UserError(`${serviceName} of v${release.version} has no Swarm service to scale`);
  const label = service.labels[LABELS.color];
  const color: Color | null = label === 'blue' || label === 'green' ? label : null;
  if (spec.role === 'web' && !color) throw new UserError(`${serviceName} of v${release.version} has no serving color to scale`);
  const network = overlayName(release.app);
  const port = spec.port ?? DEFAULT_PORT;
  const addr = (t: TaskInfo) => ({ addr: t.addresses[network] ?? '', port });
  const wanted = async () => (await swarm.tasks({ service: [service.name] })).filter((t) => t.desiredState === 'running');
  const before = await wanted();
  const from = service.replicas ?? before.length;
  const t0 = now();

  /** Lowers the count; the serving tasks (of `serving`) Swarm lets go are drained and left out. */
  async function lower(to: number, serving: TaskInfo[]): Promise<void> {
    const all = await wanted();
    await swarm.scaleService(service!.name, to);
    let going: TaskInfo[] = [];
    for (const deadline = now() + CHOOSE_MS; now() < deadline; await sleep(POLL_MS)) {
      const still = new Set((await wanted()).map((t) => t.id));
      going = all.filter((t) => !still.has(t.id));
      if (going.length >= all.length - to) break;
    }
    const drained = serving.filter((t) => going.some((g) => g.id === t.id));
    say(`v${release.version}: ${serviceName}: draining ${drained.map((t) => `${service!.name}.${t.slot}`).join(', ') || '(none serving)'}`);
    if (!color || !drained.length) return;
    await proxy.drainServers(release.app, serviceName, drained.map(addr));
    const until = now() + deps.ports.drainSeconds * 1000;
    while ((await proxy.inFlightAt(release.app, serviceName, drained.map(addr)).catch(() => 0)) > 0 && now() < until) await sleep(POLL_MS);
    await proxy.setServers(release.app, serviceName, color, serving.filter((t) => !drained.includes(t)).map(addr));
  }

  if (replicas > from) {
    say(`v${release.version}: ${serviceName} ${from} → ${replicas}: Swarm starts ${replicas - from} more`);
    await swarm.scaleService(service.name, replicas);
    const old = new Set(before.map((t) => t.id));
    try {
      let fresh: TaskInfo[] = [];
      for (const deadline = now() + deps.healthTimeoutSeconds * 1000; ; await sleep(POLL_MS * 2)) {
        fresh = (await wanted()).filter((t) => !old.has(t.id));
        if (fresh.length >= replicas - from && fresh.every((t) => t.addresses[network])) break;
        const failed = fresh.find((t) => ['failed', 'rejected'].includes(t.state));
        if (failed) throw new UserError(`${service.name}.${failed.slot} could not start: ${failed.err || failed.message}`);
        if (now() > deadline) throw new UserError(`Swarm did not place ${replicas - from} more ${serviceName} task(s) within ${deps.healthTimeoutSeconds}s (see slipway nodes)`);
      }
      const started: RunningContainer[] = fresh.map((t) => ({ id: t.id, name: `${service.name}.${t.slot}`, ip: t.addresses[network]!, service: serviceName, release: release.version, color }));
      await Promise.all(started.map((c) => deps.ports.waitHealthy(c, spec, progress)));
    } catch (e) {
      // Back to the replicas it had. Swarm may stop a serving task rather than a new one: drained first all the same.
      await lower(from, before).catch(() => undefined);
      throw e instanceof UserError ? e : new UserError(`scaling ${serviceName} to ${replicas} failed: ${(e as Error).message}`);
    }
    if (color) {
      const web = release.services.filter((s) => s.role === 'web').map((s) => ({ service: s.name, replicas: s.name === serviceName ? replicas : replicasOf(release, s) }));
      await proxy.prepare(release.app, web);
      await proxy.setServers(release.app, serviceName, color, (await wanted()).filter((t) => t.addresses[network]).map(addr));
    }
  } else if (replicas < from) {
    say(`v${release.version}: ${serviceName} ${from} → ${replicas}`);
    await lower(replicas, before);
  }
  say(`v${release.version}: ${serviceName} runs ${replicas} replica${replicas === 1 ? '' : 's'} (was ${from}, ${((now() - t0) / 1000).toFixed(1)} s)`);
  return from;
}
