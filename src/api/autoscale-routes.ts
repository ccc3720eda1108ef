// /api/apps/:app/autoscale — each service's autoscaling settings, the autoscaler's current
// decision and recent changes (GET); settings for a service (POST {service, set, unset}), checked
// against the serving release before they are kept.
import express, { type Request } from 'express';
import { UserError } from '../errors.js';
import type { Autoscaler } from '../scale/autoscaler.js';
import { RULE_KEYS, parseRuleValue, ruleFrom, type RuleKey, type RuleSettings } from '../scale/rule.js';
import type { State } from '../state/index.js';
import { body, stringField } from './http.js';

type AppReq = Request<{ app: string }>;

export function autoscaleRouter(deps: { state: State; autoscaler: Autoscaler }): express.Router {
  const { state, autoscaler } = deps;
  const r = express.Router({ mergeParams: true });

  r.get('/', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    res.json({ ...autoscaler.status(app.id), events: state.scaling.events(app.id, Number(req.query.events ?? 20) || 20) });
  });

  r.post('/', (req: AppReq, res) => {
    const app = state.apps.get(req.params.app);
    const b = body(req);
    const service = stringField(b, 'service')!;
    const release = state.releases.current(app.id);
    if (!release) throw new UserError(`${app.name} has no release yet: push code first`, 409);
    const spec = release.services.find((s) => s.name === service);
    if (!spec) throw new UserError(`${app.name} has no service ${service} (services: ${release.services.map((s) => s.name).join(', ')})`, 422);
    const set = (b.set ?? {}) as Record<string, unknown>;
    const unset = (b.unset ?? []) as unknown[];
    if (typeof set !== 'object' || Array.isArray(set) || !Array.isArray(unset)) throw new UserError('send {"service": "web", "set": {"max_cpu": 70}, "unset": ["min_cpu"]}', 422);
    const next: RuleSettings = { ...(state.scaling.settings(app.id)[service] as RuleSettings | undefined) };
    for (const k of unset.map(String)) {
      if (!RULE_KEYS.includes(k as RuleKey)) throw new UserError(`unknown autoscale setting ${k} (known: ${RULE_KEYS.join(', ')})`, 422);
      delete next[k as RuleKey];
    }
    if (unset.length === 0 && Object.keys(set).length === 0) for (const k of RULE_KEYS) delete next[k];
    for (const [k, v] of Object.entries(set)) {
      if (!RULE_KEYS.includes(k as RuleKey)) throw new UserError(`unknown autoscale setting ${k} (known: ${RULE_KEYS.join(', ')})`, 422);
      try {
        next[k as RuleKey] = parseRuleValue(k as RuleKey, String(v));
      } catch (e) {
        throw new UserError(`${k}: ${(e as Error).message}`, 422);
      }
    }
    const labels = autoscaler.ruleOf(app.id, { ...spec }).labels;
    let rule;
    try {
      rule = ruleFrom({ ...labels, ...next }, spec.memoryBytes);
    } catch (e) {
      throw new UserError(`${service}: ${(e as Error).message}`, 422);
    }
    state.scaling.putSettings(app.id, service, next as Record<string, number>);
    state.apps.event(app.id, 'autoscale.settings', `${service}: ${JSON.stringify(next)}`);
    res.json({ service, rule, settings: { labels, cli: next } });
  });

  return r;
}
