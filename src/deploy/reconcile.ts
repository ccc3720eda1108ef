// Start-up reconciliation after a crash or restart: desired state (each app's active release)
// against actual state (containers, HAProxy). Containers of unfinished deploys are removed, the
// proxy points at the active release's containers, and unfinished work is marked interrupted.
import { otherColor, type Release } from '../domain.js';
import type { Logger } from '../log.js';
import type { State } from '../state/index.js';
import type { DeploymentRow } from '../state/deployments.js';
import type { RolloutPorts, RunningContainer } from './rollout.js';

export const INTERRUPTED = 'Slipway stopped during this deploy; push again to retry';

export interface ReconcileReport {
  /** Deployments that were running when Slipway stopped, now marked interrupted. */
  interrupted: DeploymentRow[];
  removed: string[];
  repointed: string[];
}

/** Pure: which containers of an app to keep and which to remove, given its active release. */
export function planReconcile(active: Release | undefined, containers: RunningContainer[]) {
  const keep = containers.filter((c) => active && c.release === active.version);
  const remove = containers.filter((c) => !keep.includes(c));
  return { keep, remove };
}

export async function reconcile(state: State, ports: RolloutPorts, logger: Logger): Promise<ReconcileReport> {
  const report: ReconcileReport = { interrupted: [], removed: [], repointed: [] };
  for (const d of state.deployments.running()) {
    state.deployments.update(d.id, { status: 'interrupted', error: INTERRUPTED });
    report.interrupted.push(d);
  }
  for (const r of state.releases.inFlight()) {
    const app = state.apps.get(r.app);
    state.releases.setStatus(app.id, r.version, 'interrupted', 'Slipway stopped during this deploy');
  }
  state.builds.markInterrupted();

  for (const app of state.apps.list()) {
    const active = state.releases.current(app.id);
    const containers = await ports.list(app.name);
    const { keep, remove } = planReconcile(active, containers);
    for (const c of remove) {
      await ports.remove(c, 0).catch((e: Error) => logger.warn('could not remove container', { name: c.name, error: e.message }));
      report.removed.push(c.name);
    }
    if (!active) continue;
    const web = active.services.filter((s) => s.role === 'web');
    // Replicas scaled in place (the autoscaler) may outnumber the release's scale: slots for all.
    const running = (s: { name: string }) => keep.filter((c) => c.service === s.name).length;
    await ports.proxy.prepare(app.name, web.map((s) => ({ service: s.name, replicas: Math.max(active.scale[s.name] ?? s.replicas, running(s)) })));
    for (const s of web) {
      const mine = keep.filter((c) => c.service === s.name && c.color);
      if (!mine.length) {
        logger.warn('active release has no running web containers', { app: app.name, service: s.name, release: active.version });
        continue;
      }
      const color = mine[0]!.color!;
      await ports.proxy.switchTo(app.name, s.name, color, mine.filter((c) => c.color === color).map((c) => ({ addr: c.ip, port: s.port ?? 5000 })));
      await ports.proxy.disable(app.name, s.name, otherColor(color));
      report.repointed.push(`${app.name}/${s.name}:${color}`);
    }
  }
  if (report.interrupted.length || report.removed.length)
    logger.info('reconciled after restart', { interrupted: report.interrupted.map((d) => d.id), removed: report.removed, repointed: report.repointed });
  return report;
}
