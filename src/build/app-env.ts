// app.json `env` against an app's config, as Dokku applies it: on the first deploy a key the
// config lacks gets its `value` or a generated secret, and a required key with neither fails
// the deploy; `sync` keys take their value on every deploy. Set config is never overridden
// otherwise. Pure: the pipeline stores what this returns.
import { randomBytes } from 'node:crypto';
import type { AppEnvVar } from '../domain.js';
import { UserError } from '../errors.js';

export interface AppEnvPlan {
  /** Keys to set, with their values. */
  set: Record<string, string>;
  /** What each set key came from, for the deploy output (values are never shown). */
  why: Record<string, 'default' | 'generated secret' | 'sync'>;
}

/** Dokku's secret: 64 hex characters from a cryptographically secure source. */
export const newSecret = () => randomBytes(32).toString('hex');

export function planAppEnv(
  env: Record<string, AppEnvVar>,
  config: Record<string, string>,
  opts: { firstDeploy: boolean; secret?: () => string; app?: string },
): AppEnvPlan {
  const plan: AppEnvPlan = { set: {}, why: {} };
  const missing: string[] = [];
  for (const [key, v] of Object.entries(env)) {
    if (v.sync && v.value !== undefined) {
      if (config[key] !== v.value) {
        plan.set[key] = v.value;
        plan.why[key] = 'sync';
      }
      continue;
    }
    if (!opts.firstDeploy || config[key] !== undefined) continue;
    if (v.value !== undefined) {
      plan.set[key] = v.value;
      plan.why[key] = 'default';
    } else if (v.generator === 'secret') {
      plan.set[key] = (opts.secret ?? newSecret)();
      plan.why[key] = 'generated secret';
    } else if (v.required) missing.push(key);
  }
  if (missing.length) {
    const app = opts.app ?? 'APP';
    throw new UserError(
      `app.json env: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required and ${missing.length === 1 ? 'has' : 'have'} no value. ` +
        `Set ${missing.length === 1 ? 'it' : 'them'} first: slipway config:set --no-deploy ${app} ${missing.map((k) => `${k}=…`).join(' ')} — then push again ` +
        '(or give a "value", or "required": false, in app.json)',
    );
  }
  return plan;
}
