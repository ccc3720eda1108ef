// The autoscaler: every interval, for each service with an autoscale rule, averages its serving
// replicas' figures over the window (from the metrics stage), decides (decide.ts) and asks for a
// change as an `autoscale` deployment — so it queues behind, and never runs beside, a deploy of the
// same app; while one is queued or running the autoscaler pauses for that app.
import type { AutoscaleRule, Release, ServiceSpec } from '../domain.js';
import { errorMessage } from '../errors.js';
import { Periodic } from '../periodic.js';
import type { Logger } from '../log.js';
import type { Replica } from '../deploy/engine.js';
import type { WindowAverage } from '../metrics/service.js';
import type { Family } from '../metrics/prometheus.js';
import type { AutoscaleParams } from '../queue/pipeline.js';
import type { DeploymentRow } from '../state/deployments.js';
import type { State } from '../state/index.js';
import { decide, FRESH, observe, type Decision, type Observation, type ScalerState, type Timing } from './decide.js';
import { ruleFrom, settingsOf, type RuleSettings } from './rule.js';

export interface AutoscalerDeps {
  state: State;
  /** Averages of these containers over the window (the metrics stage). */
  averages(app: string, ids: string[], windowMs: number, now: number): Map<string, WindowAverage>;
  /** The app's running replicas, by the ids their metrics are stored under (the engine's). */
  list(app: string): Promise<Replica[]>;
  enqueue(d: DeploymentRow): Promise<void>;
  timing: Timing & { intervalMs: number; windowMs: number };
  logger: Logger;
  now?: () => number;
}

/** What `slipway autoscale APP` shows for a service. */
export interface ServiceScaling {
  service: string;
  replicas: number;
  rule: AutoscaleRule | null;
  /** Where the settings came from: compose labels, and `autoscale:set` over them. */
  settings: { labels: RuleSettings; cli: RuleSettings };
  error?: string;
  decision?: { action: Decision['action']; to: number; reason: string; at: string; observation: Observation };
}

interface Tracked {
  state: ScalerState;
  decision?: ServiceScaling['decision'];
}

export class Autoscaler {
  private readonly tracked = new Map<string, Tracked>();
  private readonly ticker: Periodic;
  private readonly now: () => number;

  constructor(private readonly deps: AutoscalerDeps) {
    this.now = deps.now ?? Date.now;
    this.ticker = new Periodic(() => this.tick(), deps.timing.intervalMs, (e) => deps.logger.warn('autoscaler look failed', { error: errorMessage(e) }));
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** The rule a service runs under: its compose labels, with `autoscale:set` settings over them. */
  ruleOf(appId: number, spec: ServiceSpec): { rule: AutoscaleRule | null; labels: RuleSettings; cli: RuleSettings; error?: string } {
    const labels = settingsOf(spec.autoscale);
    const cli = (this.deps.state.scaling.settings(appId)[spec.name] ?? {}) as RuleSettings;
    try {
      return { rule: ruleFrom({ ...labels, ...cli }, spec.memoryBytes), labels, cli };
    } catch (e) {
      return { rule: null, labels, cli, error: errorMessage(e) };
    }
  }

  /** Replicas a new release starts with: the in-place count of the release before it (within the
   *  new release's bounds). */
  replicasToCarry(appId: number, services: ServiceSpec[], previous: Release | null): Record<string, number> {
    if (!previous) return {};
    const out: Record<string, number> = {};
    for (const [service, n] of Object.entries(this.deps.state.scaling.replicas(appId, previous.version))) {
      const spec = services.find((s) => s.name === service);
      if (!spec) continue;
      const rule = this.ruleOf(appId, spec).rule;
      out[service] = rule ? Math.min(rule.maxInstances, Math.max(rule.minInstances, n)) : n;
    }
    return out;
  }

  /** Replicas the serving release runs of a service now. */
  replicas(appId: number, release: Release, spec: ServiceSpec): number {
    return this.deps.state.scaling.replicas(appId, release.version)[spec.name] ?? release.scale[spec.name] ?? spec.replicas;
  }

  status(appId: number): { paused: boolean; services: ServiceScaling[] } {
    const release = this.deps.state.releases.current(appId);
    if (!release) return { paused: false, services: [] };
    return {
      paused: this.deps.state.deployments.busy(appId),
      services: release.services.map((spec) => {
        const r = this.ruleOf(appId, spec);
        const out: ServiceScaling = { service: spec.name, replicas: this.replicas(appId, release, spec), rule: r.rule, settings: { labels: r.labels, cli: r.cli } };
        if (r.error) out.error = r.error;
        const d = this.tracked.get(`${appId}/${spec.name}`)?.decision;
        if (d) out.decision = d;
        return out;
      }),
    };
  }

  /** Gauges for /metrics: replicas and the last averages of every autoscaled service. */
  families(): Family[] {
    const replicas: Family = { name: 'slipway_autoscale_replicas', type: 'gauge', help: 'Replicas an autoscaled service runs.', samples: [] };
    const cpu: Family = { name: 'slipway_autoscale_cpu_percent', type: 'gauge', help: 'CPU per replica (% of one CPU) over the window, at the last look.', samples: [] };
    for (const app of this.deps.state.apps.list()) {
      const release = this.deps.state.releases.current(app.id);
      for (const spec of release?.services ?? []) {
        if (!this.ruleOf(app.id, spec).rule) continue;
        const labels = { app: app.name, service: spec.name };
        replicas.samples.push({ labels, value: this.replicas(app.id, release!, spec) });
        const c = this.tracked.get(`${app.id}/${spec.name}`)?.decision?.observation.cpu;
        if (c !== undefined && c !== null) cpu.samples.push({ labels, value: c });
      }
    }
    return [replicas, cpu];
  }

  /** One look at every autoscaled service. */
  async tick(): Promise<void> {
    const { state, timing } = this.deps;
    for (const app of state.apps.list()) {
      const release = state.releases.current(app.id);
      if (!release) continue;
      const ruled = release.services.map((spec) => ({ spec, rule: this.ruleOf(app.id, spec).rule })).filter((x): x is { spec: ServiceSpec; rule: AutoscaleRule } => x.rule !== null);
      if (!ruled.length) continue;
      const now = this.now();
      if (state.deployments.busy(app.id)) {
        // Figures taken while a deploy moves replicas around say nothing: start counting afresh after it.
        for (const { spec } of ruled) this.note(app.id, spec.name, { ...FRESH, lastChange: this.tracked.get(`${app.id}/${spec.name}`)?.state.lastChange ?? null }, undefined);
        continue;
      }
      const running = (await this.deps.list(app.name)).filter((c) => c.state === 'running' && c.release === release.version);
      for (const { spec, rule } of ruled) {
        const serving = running.filter((c) => c.service === spec.name && (spec.role !== 'web' || c.color !== null));
        const averages = this.deps.averages(app.name, serving.map((c) => c.id), timing.windowMs, now);
        const obs = observe(now, timing.windowMs, serving.map((c) => ({ createdAt: c.createdAt, average: averages.get(c.id) })));
        const key = `${app.id}/${spec.name}`;
        const prev = this.tracked.get(key)?.state ?? FRESH;
        const changedAt = state.scaling.lastChangeAt(app.id, spec.name);
        const lastChange = Math.max(prev.lastChange ?? 0, changedAt ?? 0) || null;
        const replicas = this.replicas(app.id, release, spec);
        const d = decide(rule, replicas, obs, { ...prev, lastChange }, timing);
        this.note(app.id, spec.name, d.state, { action: d.action, to: d.to, reason: d.reason, at: new Date(now).toISOString(), observation: obs });
        if (d.action === 'none') continue;
        const params: AutoscaleParams = {
          service: spec.name,
          from: replicas,
          replicas: d.to,
          reason: d.reason,
          metrics: { cpu: obs.cpu, memory: obs.memory, counted: obs.counted, starting: obs.starting },
        };
        const deployment = state.deployments.create(app.id, { trigger: 'autoscale', params: params as unknown as Record<string, unknown> });
        this.deps.logger.info('autoscale', { app: app.name, service: spec.name, from: replicas, to: d.to, reason: d.reason });
        await this.deps.enqueue(deployment);
        break; // one change per app per look; the next waits for it (the app is busy)
      }
    }
  }

  private note(appId: number, service: string, state: ScalerState, decision: ServiceScaling['decision']): void {
    const key = `${appId}/${service}`;
    const t = this.tracked.get(key);
    this.tracked.set(key, { state, decision: decision ?? t?.decision });
  }
}
