// The machines of the swarm as `slipway nodes` shows them, the `docker swarm join` line
// `slipway nodes:add` prints, and `slipway nodes:drain`: an app's containers leave a node
// blue-green (a new release starts elsewhere, traffic moves, the old one stops) before Swarm
// drains what is left there.
import { setTimeout as sleep } from 'node:timers/promises';
import { LABELS, type Progress } from '../domain.js';
import { UserError } from '../errors.js';
import type { NodeInfo, Swarm, TaskInfo } from '../docker/swarm.js';
import { clusterRegistry, type ClusterSettings } from './settings.js';

export interface NodeView extends NodeInfo {
  /** `app/service color vN.slot` of each Slipway task running there. */
  containers: string[];
}

export function nodeViews(nodes: NodeInfo[], tasks: TaskInfo[], services: { id: string; name: string; labels: Record<string, string> }[]): NodeView[] {
  return nodes.map((n) => ({
    ...n,
    containers: tasks
      .filter((t) => t.nodeId === n.id)
      .flatMap((t) => {
        const s = services.find((x) => x.id === t.serviceId);
        if (!s?.labels[LABELS.app]) return [];
        const l = s.labels;
        return [`${l[LABELS.app]}/${l[LABELS.service]}${l[LABELS.color] ? ` ${l[LABELS.color]}` : ''} v${l[LABELS.release]}.${t.slot}`];
      })
      .sort(),
  }));
}

export async function listNodes(swarm: Swarm): Promise<NodeView[]> {
  const [nodes, tasks, services] = await Promise.all([swarm.nodes(), swarm.tasks({ 'desired-state': ['running'] }), swarm.services([LABELS.app])]);
  return nodeViews(nodes, tasks, services);
}

/** What another machine runs to join, and the registry setting it needs first. */
export async function joinInstructions(swarm: Swarm, s: ClusterSettings) {
  const { worker } = await swarm.joinTokens();
  const registry = clusterRegistry(s);
  return {
    command: `docker swarm join --token ${worker} ${s.managerAddr}`,
    registry,
    daemonJson: { 'insecure-registries': [registry] },
  };
}

/** A node by id (or a unique id prefix) or hostname. */
export function findNode(nodes: NodeInfo[], key: string): NodeInfo {
  const hits = nodes.filter((n) => n.id === key || n.hostname === key || (key.length >= 4 && n.id.startsWith(key)));
  if (hits.length === 1) return hits[0]!;
  if (!hits.length) throw new UserError(`no node ${key} in the swarm (see: slipway nodes)`, 404);
  throw new UserError(`${key} names ${hits.length} nodes (${hits.map((h) => h.id.slice(0, 12)).join(', ')}): use a node id`, 409);
}

export interface DrainDeps {
  swarm: Swarm;
  /** Queues a release of the app's current one (trigger `drain`) and resolves when it finished. */
  redeploy(app: string, description: string, progress: Progress): Promise<'succeeded' | string>;
  ownsApp(app: string): boolean;
  timeoutMs?: number;
}

export async function drainNode(deps: DrainDeps, key: string, progress: Progress): Promise<void> {
  const node = findNode(await deps.swarm.nodes(), key);
  const name = `${node.hostname} (${node.id.slice(0, 12)})`;
  // Paused: Swarm places nothing new there, and what runs keeps serving meanwhile.
  progress(`-----> Pausing ${name}: no new containers go there`);
  await deps.swarm.setAvailability(node.id, 'pause');
  const services = await deps.swarm.services([LABELS.app]);
  const tasks = await deps.swarm.tasks({ node: [node.id], 'desired-state': ['running'] });
  const apps = [...new Set(tasks.map((t) => services.find((s) => s.id === t.serviceId)?.labels[LABELS.app]).filter((a): a is string => !!a && deps.ownsApp(a)))].sort();
  const failed: string[] = [];
  for (const app of apps) {
    progress(`-----> Moving ${app} off ${node.hostname} (blue-green, a new release)`);
    const outcome = await deps.redeploy(app, `Drain node ${node.hostname}`, (l) => progress(`       ${l}`));
    if (outcome !== 'succeeded') failed.push(`${app} (${outcome})`);
  }
  if (failed.length)
    throw new UserError(`could not move ${failed.join(', ')} off ${name}; the node stays paused (run nodes:drain again, or docker node update --availability active)`);
  progress(`-----> Draining ${name}: Swarm moves what is left`);
  await deps.swarm.setAvailability(node.id, 'drain');
  const until = Date.now() + (deps.timeoutMs ?? 120_000);
  for (;;) {
    const left = (await deps.swarm.tasks({ node: [node.id], 'desired-state': ['running'] })).filter((t) => services.some((s) => s.id === t.serviceId));
    if (!left.length) break;
    if (Date.now() > until) throw new UserError(`${left.length} Slipway task(s) still on ${name}; Swarm keeps moving them`);
    await sleep(500);
  }
  progress(`-----> ${name} is drained`);
}
