// Autoscaling settings (pure): compose labels `slipway.autoscale.KEY` (and the provider's
// `aliyun.auto_scaling.KEY` aliases), `slipway autoscale:set APP SERVICE KEY=VALUE`, merged into
// one AutoscaleRule and checked: each problem says which key and what is allowed.
import type { AutoscaleRule } from '../domain.js';

export const RULE_KEYS = ['max_cpu', 'min_cpu', 'max_memory', 'min_memory', 'step', 'min_instances', 'max_instances'] as const;
export type RuleKey = (typeof RULE_KEYS)[number];
export type RuleSettings = Partial<Record<RuleKey, number>>;

export const LABEL_PREFIXES = ['slipway.autoscale.', 'aliyun.auto_scaling.'] as const;
/** Highest replica count the autoscaler may reach (as `slipway scale`). */
export const MAX_INSTANCES = 100;
const DEFAULT_MAX_INSTANCES = 10;

const FIELD: Record<RuleKey, keyof AutoscaleRule> = {
  max_cpu: 'maxCpu', min_cpu: 'minCpu', max_memory: 'maxMemory', min_memory: 'minMemory',
  step: 'step', min_instances: 'minInstances', max_instances: 'maxInstances',
};

/** Checks one value; returns the number, or throws with what is allowed. */
export function parseRuleValue(key: RuleKey, raw: string): number {
  const n = Number(String(raw).trim().replace(/%$/, ''));
  const whole = ['step', 'min_instances', 'max_instances'].includes(key);
  if (whole) {
    const lo = key === 'step' ? 1 : key === 'min_instances' ? 1 : 1;
    if (!Number.isInteger(n) || n < lo || n > MAX_INSTANCES) throw new Error(`must be a whole number from ${lo} to ${MAX_INSTANCES}, not ${JSON.stringify(raw)}`);
    return n;
  }
  const hi = key.endsWith('cpu') ? 10_000 : 100;
  if (!Number.isFinite(n) || n <= 0 || n > hi)
    throw new Error(`must be a percentage above 0 and at most ${hi} (${key.endsWith('cpu') ? 'of one CPU per replica' : 'of the memory limit'}), not ${JSON.stringify(raw)}`);
  return n;
}

/** The autoscale labels of a service, by key; problems name the label. */
export function settingsFromLabels(labels: Record<string, string>): { settings: RuleSettings; problems: { label: string; message: string }[] } {
  const settings: RuleSettings = {};
  const problems: { label: string; message: string }[] = [];
  for (const [label, value] of Object.entries(labels)) {
    const prefix = LABEL_PREFIXES.find((p) => label.startsWith(p));
    if (!prefix) continue;
    const key = label.slice(prefix.length) as RuleKey;
    if (!RULE_KEYS.includes(key)) {
      problems.push({ label, message: `unknown autoscale setting (known: ${RULE_KEYS.join(', ')})` });
      continue;
    }
    try {
      settings[key] = parseRuleValue(key, value);
    } catch (e) {
      problems.push({ label, message: (e as Error).message });
    }
  }
  return { settings, problems };
}

/** Settings (labels, then the CLI's over them) → a rule, or null when no limit is set. Throws
 *  when they contradict each other. */
export function ruleFrom(settings: RuleSettings, memoryLimit: number | undefined): AutoscaleRule | null {
  const limits = (['max_cpu', 'min_cpu', 'max_memory', 'min_memory'] as const).filter((k) => settings[k] !== undefined);
  if (!limits.length) {
    if (Object.keys(settings).length) throw new Error('set at least one of max_cpu, min_cpu, max_memory, min_memory (the others only bound what they decide)');
    return null;
  }
  const rule: AutoscaleRule = { step: 1, minInstances: 1, maxInstances: DEFAULT_MAX_INSTANCES };
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) (rule as unknown as Record<string, number>)[FIELD[k as RuleKey]] = v;
  if (settings.max_instances === undefined) rule.maxInstances = Math.max(rule.minInstances, DEFAULT_MAX_INSTANCES);
  if (rule.minInstances > rule.maxInstances) throw new Error(`min_instances (${rule.minInstances}) is above max_instances (${rule.maxInstances})`);
  if (rule.minCpu !== undefined && rule.maxCpu !== undefined && rule.minCpu >= rule.maxCpu)
    throw new Error(`min_cpu (${rule.minCpu}) must be below max_cpu (${rule.maxCpu}), or replicas would flap between them`);
  if (rule.minMemory !== undefined && rule.maxMemory !== undefined && rule.minMemory >= rule.maxMemory)
    throw new Error(`min_memory (${rule.minMemory}) must be below max_memory (${rule.maxMemory})`);
  if ((rule.maxMemory !== undefined || rule.minMemory !== undefined) && !memoryLimit)
    throw new Error('max_memory and min_memory are % of the memory limit: give the service one (deploy.resources.limits.memory or mem_limit)');
  return rule;
}

/** `KEY=VALUE` words from the CLI → settings; `KEY=` removes the key. */
export function settingsFromWords(words: string[]): { set: RuleSettings; unset: RuleKey[] } {
  const set: RuleSettings = {};
  const unset: RuleKey[] = [];
  for (const w of words) {
    const m = /^([a-z_]+)=(.*)$/.exec(w.trim());
    if (!m || !RULE_KEYS.includes(m[1] as RuleKey)) throw new Error(`expected KEY=VALUE with KEY one of ${RULE_KEYS.join(', ')}, got ${JSON.stringify(w)}`);
    const key = m[1] as RuleKey;
    if (m[2] === '') unset.push(key);
    else {
      try {
        set[key] = parseRuleValue(key, m[2]!);
      } catch (e) {
        throw new Error(`${key}: ${(e as Error).message}`);
      }
    }
  }
  return { set, unset };
}

/** The rule back as settings (for display and merging). */
export function settingsOf(rule: AutoscaleRule | undefined): RuleSettings {
  if (!rule) return {};
  const out: RuleSettings = {};
  for (const k of RULE_KEYS) {
    const v = rule[FIELD[k]];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
