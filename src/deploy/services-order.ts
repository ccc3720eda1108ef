// The order services start in: layers by `depends_on`, so a rollout starts each layer once the
// one before it is up, and a dependency cycle is named rather than waited on forever.
import type { ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';

type Node = Pick<ServiceSpec, 'name'> & { dependsOn: { service: string }[] };

/** A dependency cycle as `[a, b, a]`, or null. Dependencies on unknown services are not edges. */
export function findCycle(services: Node[]): string[] | null {
  const deps = new Map(services.map((s) => [s.name, s.dependsOn.map((d) => d.service)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of deps.get(name) ?? []) {
      if (!deps.has(d)) continue;
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const s of services) {
    const cycle = visit(s.name);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Services in start order: each layer's services depend only on earlier layers', and start
 * together. Names keep the services' order within a layer, so rollouts are predictable.
 */
export function startOrder(services: Node[]): string[][] {
  const cycle = findCycle(services);
  if (cycle) throw new UserError(`services depend on each other in a cycle: ${cycle.join(' → ')}`);
  const names = new Set(services.map((s) => s.name));
  const placed = new Set<string>();
  const layers: string[][] = [];
  let left = services;
  while (left.length) {
    const layer = left.filter((s) => s.dependsOn.every((d) => placed.has(d.service) || !names.has(d.service)));
    layers.push(layer.map((s) => s.name));
    for (const s of layer) placed.add(s.name);
    left = left.filter((s) => !placed.has(s.name));
  }
  return layers;
}
