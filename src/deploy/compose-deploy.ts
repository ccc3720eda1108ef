// A compose service's `deploy:` section: replicas, resource limits and reservations, placement
// and restart policy. All of it runs on a swarm; on one host, what has no meaning there
// (placement, a CPU reservation) is said in the deploy output rather than silently dropped.
import type { ServiceSpec } from '../domain.js';
import * as rules from './compose-rules.js';
import type { KeyPath, Problems } from './compose-source.js';
import { isRecord, parseCount, parseCpus, parseDuration, parseMemory } from './compose-values.js';

export interface DeploySection {
  replicas?: number;
  memory?: number;
  cpus?: number;
  reservations?: ServiceSpec['reservations'];
  placement?: ServiceSpec['placement'];
  restartPolicy?: ServiceSpec['restartPolicy'];
}

type Read = <T>(key: KeyPath, parse: () => T) => T | undefined;
const opt = <T>(v: unknown, parse: (v: unknown) => T): T | undefined => (v === undefined || v === null ? undefined : parse(v));

/** `node.role==manager`, `node.labels.disk != ssd`, `engine.labels.zone==a` (Swarm's syntax). */
const CONSTRAINT = /^\s*(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[A-Za-z0-9_.-]+)|engine\.labels\.[A-Za-z0-9_.-]+)\s*(==|!=)\s*[^\s=!]+\s*$/;

export function deploySection(deploy: Record<string, unknown>, base: KeyPath, problems: Problems, read: Read, swarm: boolean, warn: (line: string) => void): DeploySection {
  const path = [...base, 'deploy'];
  rules.checkKeys(deploy, path, rules.DEPLOY_KEYS, problems);
  const out: DeploySection = {};
  out.replicas = read(['deploy', 'replicas'], () => opt(deploy.replicas, (v) => parseCount(v)));
  if (isRecord(deploy.resources)) {
    rules.checkKeys(deploy.resources, [...path, 'resources'], rules.RESOURCES_KEYS, problems);
    const { limits, reservations } = deploy.resources;
    if (isRecord(limits)) {
      rules.checkKeys(limits, [...path, 'resources', 'limits'], rules.LIMITS_KEYS, problems);
      out.memory = read(['deploy', 'resources', 'limits', 'memory'], () => opt(limits.memory, parseMemory));
      out.cpus = read(['deploy', 'resources', 'limits', 'cpus'], () => opt(limits.cpus, parseCpus));
    }
    if (isRecord(reservations)) {
      rules.checkKeys(reservations, [...path, 'resources', 'reservations'], rules.LIMITS_KEYS, problems);
      const memoryBytes = read(['deploy', 'resources', 'reservations', 'memory'], () => opt(reservations.memory, parseMemory));
      const nanoCpus = read(['deploy', 'resources', 'reservations', 'cpus'], () => opt(reservations.cpus, parseCpus));
      out.reservations = dropUndefined({ memoryBytes, nanoCpus });
      if (nanoCpus !== undefined && !swarm) warn(`${path.join('.')}.resources.reservations.cpus: a CPU reservation only steers placement on a swarm; one host ignores it`);
    }
  }
  if (isRecord(deploy.placement)) {
    const p = deploy.placement;
    rules.checkKeys(p, [...path, 'placement'], rules.PLACEMENT_KEYS, problems);
    const constraints: string[] = [];
    (Array.isArray(p.constraints) ? p.constraints : []).forEach((c, i) => {
      if (CONSTRAINT.test(String(c))) constraints.push(String(c).trim());
      else problems.add([...path, 'placement', 'constraints', i], `${JSON.stringify(c)} is not a placement constraint (write e.g. node.role==worker, node.labels.zone!=a, node.hostname==web1)`);
    });
    const maxPerNode = read(['deploy', 'placement', 'max_replicas_per_node'], () => opt(p.max_replicas_per_node, (v) => parseCount(v)));
    out.placement = dropUndefined({ constraints, maxReplicasPerNode: maxPerNode });
    if (!swarm) warn(`${path.join('.')}.placement: placement applies on a swarm (slipway cluster:init); one host runs every replica`);
  }
  if (isRecord(deploy.restart_policy)) {
    const r = deploy.restart_policy;
    const at = [...path, 'restart_policy'];
    rules.checkKeys(r, at, rules.RESTART_POLICY_KEYS, problems);
    const condition = r.condition ?? 'any';
    if (condition !== 'none' && condition !== 'on-failure' && condition !== 'any') problems.add([...at, 'condition'], `must be none, on-failure or any (not ${JSON.stringify(condition)})`);
    else
      out.restartPolicy = dropUndefined({
        condition: condition as NonNullable<ServiceSpec['restartPolicy']>['condition'],
        delaySeconds: read(['deploy', 'restart_policy', 'delay'], () => opt(r.delay, parseDuration)),
        maxAttempts: read(['deploy', 'restart_policy', 'max_attempts'], () => opt(r.max_attempts, (v) => parseCount(v))),
        windowSeconds: read(['deploy', 'restart_policy', 'window'], () => opt(r.window, parseDuration)),
      });
  }
  return out;
}

/** Docker's restart policy on one host for a compose `deploy.restart_policy`. */
export function restartFromPolicy(p: NonNullable<ServiceSpec['restartPolicy']>): ServiceSpec['restart'] {
  return p.condition === 'none' ? 'no' : p.condition === 'on-failure' ? 'on-failure' : 'unless-stopped';
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
