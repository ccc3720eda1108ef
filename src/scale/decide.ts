// The autoscaler's decision (pure), the provider's published rule with the safeguards Kubernetes'
// HPA learned the hard way: a look every interval averages the window; a change needs `samples`
// looks in a row beyond a limit; none during the cool-down after a change; scale-in only once its
// condition has held for the stabilization window, never on missing metrics; a limit crossed
// upwards wins over one crossed downwards; replicas stay within min/max.
import type { AutoscaleRule } from '../domain.js';

/** One look: averages over the window of the replicas that ran through it. */
export interface Observation {
  at: number;
  /** % of one CPU per replica; null when no replica has figures. */
  cpu: number | null;
  /** % of the memory limit per replica; null without figures or limit. */
  memory: number | null;
  /** Replicas whose figures count (running through the whole window). */
  counted: number;
  /** Replicas that started within the window: not counted, and not idle. */
  starting: number;
  /** A replica that should have figures has none. */
  missing: boolean;
}

export interface ScalerState {
  up: number;
  down: number;
  /** When the current run of scale-in looks began. */
  downSince: number | null;
  lastChange: number | null;
}

export interface Timing {
  samples: number;
  cooldownMs: number;
  stabilizationMs: number;
}

export interface Decision {
  action: 'out' | 'in' | 'none';
  to: number;
  reason: string;
  state: ScalerState;
}

export const FRESH: ScalerState = { up: 0, down: 0, downSince: null, lastChange: null };

const pct = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} %`);

export function decide(rule: AutoscaleRule, replicas: number, obs: Observation, prev: ScalerState, t: Timing): Decision {
  const now = obs.at;
  const changed = (action: 'out' | 'in', to: number, reason: string): Decision => ({ action, to, reason, state: { ...FRESH, lastChange: now } });
  if (replicas < rule.minInstances) return changed('out', rule.minInstances, `${replicas} replicas is below min_instances ${rule.minInstances}`);
  if (replicas > rule.maxInstances) return changed('in', rule.maxInstances, `${replicas} replicas is above max_instances ${rule.maxInstances}`);

  const over: string[] = [];
  if (rule.maxCpu !== undefined && obs.cpu !== null && obs.cpu > rule.maxCpu) over.push(`cpu ${pct(obs.cpu)} > max_cpu ${rule.maxCpu}`);
  if (rule.maxMemory !== undefined && obs.memory !== null && obs.memory > rule.maxMemory) over.push(`memory ${pct(obs.memory)} > max_memory ${rule.maxMemory}`);
  const up = over.length > 0;
  const hasMin = rule.minCpu !== undefined || rule.minMemory !== undefined;
  const under =
    !up &&
    hasMin &&
    !obs.missing &&
    obs.counted > 0 &&
    (rule.minCpu === undefined || (obs.cpu !== null && obs.cpu < rule.minCpu)) &&
    (rule.minMemory === undefined || (obs.memory !== null && obs.memory < rule.minMemory));

  const state: ScalerState = {
    up: up ? prev.up + 1 : 0,
    down: under ? prev.down + 1 : 0,
    downSince: under ? (prev.downSince ?? now) : null,
    lastChange: prev.lastChange,
  };
  const none = (reason: string): Decision => ({ action: 'none', to: replicas, reason, state });
  const cooling = state.lastChange !== null && now - state.lastChange < t.cooldownMs;
  const coolLeft = () => `cooling down for ${Math.ceil((t.cooldownMs - (now - state.lastChange!)) / 1000)} s more`;

  if (up) {
    const why = over.join(', ');
    if (state.up < t.samples) return none(`${why} (${state.up}/${t.samples} looks in a row)`);
    if (cooling) return none(`${why}; ${coolLeft()}`);
    const to = Math.min(rule.maxInstances, replicas + rule.step);
    if (to === replicas) return none(`${why}, but already at max_instances ${rule.maxInstances}`);
    return changed('out', to, `${why} for ${state.up} looks in a row`);
  }
  if (under) {
    const why = [rule.minCpu !== undefined ? `cpu ${pct(obs.cpu)} < min_cpu ${rule.minCpu}` : '', rule.minMemory !== undefined ? `memory ${pct(obs.memory)} < min_memory ${rule.minMemory}` : '']
      .filter(Boolean)
      .join(', ');
    const held = now - state.downSince!;
    if (state.down < t.samples || held < t.stabilizationMs)
      return none(`${why} (${state.down}/${t.samples} looks, held ${Math.round(held / 1000)}/${Math.round(t.stabilizationMs / 1000)} s)`);
    if (cooling) return none(`${why}; ${coolLeft()}`);
    const to = Math.max(rule.minInstances, replicas - rule.step);
    if (to === replicas) return none(`${why}, but already at min_instances ${rule.minInstances}`);
    return changed('in', to, `${why} for ${Math.round(held / 1000)} s`);
  }
  if (obs.missing && hasMin) return none(`metrics missing for some replicas: no scale-in (cpu ${pct(obs.cpu)}, memory ${pct(obs.memory)})`);
  return none(`within limits (cpu ${pct(obs.cpu)}, memory ${pct(obs.memory)})`);
}

/** A serving replica: when it was created, and its averages over the window (none: no figures). */
export interface ReplicaFigures {
  createdAt: number;
  average?: { cpu: number; memory: number; memoryLimit: number | null; coveredMs: number };
}

/** The look at `at` over `windowMs`: replicas created within the window are starting (not counted,
 *  so a new idle replica can't pull the average down); one that should have figures and has
 *  figures for less than half the window makes the metrics missing. */
export function observe(at: number, windowMs: number, replicas: ReplicaFigures[]): Observation {
  let cpu = 0;
  let memory = 0;
  let withLimit = 0;
  let counted = 0;
  let starting = 0;
  let missing = false;
  for (const r of replicas) {
    if (r.createdAt > at - windowMs) {
      starting++;
      continue;
    }
    const a = r.average;
    if (!a || a.coveredMs < windowMs / 2) {
      missing = true;
      continue;
    }
    counted++;
    cpu += a.cpu;
    if (a.memoryLimit) {
      memory += (a.memory / a.memoryLimit) * 100;
      withLimit++;
    }
  }
  return {
    at,
    cpu: counted ? cpu / counted : null,
    memory: withLimit ? memory / withLimit : null,
    counted,
    starting,
    missing: missing || replicas.length === 0,
  };
}
