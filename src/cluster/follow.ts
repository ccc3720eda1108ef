// HAProxy follows Swarm: when a node is lost (or drained) Swarm starts the serving release's
// tasks elsewhere, with new addresses; every second the serving color of each app is pointed
// at the tasks that run now. Only a color that is serving is touched (see Proxy.followColor),
// so a rollout's own switch is never undone. The edge is checked too: a recreated edge has a
// new network namespace, which HAProxy reopens on a reload.
import { setTimeout as sleep } from 'node:timers/promises';
import { LABELS, type Color } from '../domain.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Swarm } from '../docker/swarm.js';
import { overlayName } from './service-spec.js';

export interface FollowDeps {
  swarm: Swarm;
  /** App → active release version and the port of each web service. */
  activeReleases(): { app: string; version: number; web: { service: string; port: number }[] }[];
  followColor(app: string, service: string, color: Color, servers: { addr: string; port: number }[]): Promise<boolean>;
  checkEdge(): Promise<void>;
  logger: Logger;
  intervalMs?: number;
}

export interface Target {
  app: string;
  service: string;
  color: Color;
  servers: { addr: string; port: number }[];
}

/** Pure: for each active web service, its color and the addresses of its running tasks. */
export function followTargets(
  active: ReturnType<FollowDeps['activeReleases']>,
  services: { id: string; labels: Record<string, string> }[],
  tasks: { serviceId: string; state: string; desiredState: string; addresses: Record<string, string> }[],
): Target[] {
  const out: Target[] = [];
  for (const a of active) {
    for (const w of a.web) {
      const s = services.find(
        (x) => x.labels[LABELS.app] === a.app && x.labels[LABELS.service] === w.service && x.labels[LABELS.release] === String(a.version),
      );
      const color = s?.labels[LABELS.color];
      if (!s || (color !== 'blue' && color !== 'green')) continue;
      const servers = tasks
        .filter((t) => t.serviceId === s.id && t.state === 'running' && t.desiredState === 'running' && t.addresses[overlayName(a.app)])
        .map((t) => ({ addr: t.addresses[overlayName(a.app)]!, port: w.port }));
      // None running (all lost at once): keep the last known; HAProxy's checks mark them down.
      if (servers.length) out.push({ app: a.app, service: w.service, color, servers });
    }
  }
  return out;
}

export async function followTasks(deps: FollowDeps, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await deps.checkEdge();
      const active = deps.activeReleases();
      if (active.length) {
        const services = await deps.swarm.services([LABELS.app]);
        const tasks = await deps.swarm.tasks({ label: [LABELS.app], 'desired-state': ['running'] });
        for (const t of followTargets(active, services, tasks))
          if (await deps.followColor(t.app, t.service, t.color, t.servers))
            deps.logger.info('proxy follows moved tasks', { app: t.app, service: t.service, servers: t.servers.map((s) => s.addr) });
      }
    } catch (e) {
      if (signal.aborted) return;
      deps.logger.warn('following swarm tasks failed; retrying', { error: errorMessage(e) });
    }
    await sleep(deps.intervalMs ?? 1000, undefined, { signal }).catch(() => undefined);
  }
}
