// The deploy pipeline, as DESIGN.md's flow reads: a deployment becomes a SourceRevision
// (upload or remote fetch), a BuiltImage, an ImageRef in the registry, and a Release rolled
// out blue-green. Rollback, config and scale changes skip straight to a new Release.
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { AppJson, Progress, Release, ServiceSource, ServiceSpec, SourceRevision } from '../domain.js';
import type { DeployDeadline } from '../deadline.js';
import { DiskFullError, Superseded, UserError, isDiskFull } from '../errors.js';
import { planAppEnv } from '../build/app-env.js';
import { formationManaged, releaseScale } from '../deploy/formation.js';
import type { DeploymentRow } from '../state/deployments.js';
import type { State } from '../state/index.js';
import type { AppRow } from '../state/apps.js';
import type { ReleaseRow } from '../state/releases.js';
import type { RunDeployment } from './deploy-queue.js';

/** What the pipeline needs from the stages; the composition root wires the real ones. */
export interface PipelineStages {
  /** source: the revision a code deployment names (an upload, or a fetch from the app's repo). */
  revision(d: DeploymentRow, app: AppRow, progress: Progress, signal: AbortSignal): Promise<SourceRevision>;
  /** build + registry: image built from the revision and pushed as vN (the build under its own limit). */
  buildAndPush(
    rev: SourceRevision,
    app: AppRow,
    version: number,
    progress: Progress,
    signal: AbortSignal,
  ): Promise<Pick<Release, 'image' | 'services' | 'appJson' | 'releaseCommand' | 'serviceSource'>>;
  /** deploy: a compose release's services, derived again under a changed config (images stay
   *  pinned as in `previous` while unchanged); throws UserError. */
  servicesUnder(source: ServiceSource, config: Record<string, string>, progress: Progress, previous: ServiceSpec[]): Promise<ServiceSpec[]>;
  /**
   * deploy: rolls the release out; throws UserError when it fails (old release keeps serving).
   * Calls `live` once traffic has moved for good, before the old release stops. `signal` (the
   * deadline) stops it until then, removing the new color.
   */
  rollout(release: Release, previous: Release | null, progress: Progress, live: () => void, options: { releasePhase: boolean; signal: AbortSignal }): Promise<void>;
  /** deploy: runs the serving release's `service` with `replicas` replicas in place; resolves to
   *  the count before. */
  resize?(release: Release, service: string, replicas: number, progress: Progress): Promise<number>;
  /** scale: the replicas a new release of these services starts with, where in-place changes
   *  (the autoscaler's) made them differ from the previous release's scale. */
  carryScale?(app: AppRow, services: ServiceSpec[], previous: Release | null): Record<string, number>;
}

/** What the autoscaler asks for in an `autoscale` deployment. */
export interface AutoscaleParams {
  service: string;
  from: number;
  replicas: number;
  reason: string;
  metrics: Record<string, number | null>;
}

export interface PipelineDeps {
  state: State;
  stages: PipelineStages;
  /** The URL an app serves at, for the closing line. */
  appUrl(app: string): string;
  /** Where build output is stored, one file per build. */
  buildsDir: string;
  /** Extra sink for every pipeline line (the log store's `build`/`deploy` service). */
  logLine?: (app: string, service: 'build' | 'deploy', line: string) => void;
  /** Tells the repository host how a webhook deployment of `sha` is going (commit status). */
  commitStatus?: CommitStatusReporter;
  /** A new release is live (the jobs stage refreshes schedules, may start a run on deploy). */
  released?: (app: AppRow, version: number, d: DeploymentRow, progress: Progress) => void;
  /** Release retention, after each deployment of the app (in its turn, whatever the outcome). */
  retain?: (app: AppRow, progress: Progress) => Promise<unknown>;
}

/** What the repository host shows on the pushed commit. */
export interface CommitStatusUpdate {
  state: 'pending' | 'success' | 'failure';
  description: string;
  /** The app's URL once it serves the commit. */
  targetUrl?: string;
}

/** Best effort: the pipeline never waits on it, and a rejection never fails a deploy. */
export type CommitStatusReporter = (d: DeploymentRow, app: AppRow, sha: string, update: CommitStatusUpdate) => Promise<void>;

export function createPipeline(deps: PipelineDeps): RunDeployment {
  const { state } = deps;
  mkdirSync(deps.buildsDir, { recursive: true });

  async function codeDeploy(d: DeploymentRow, app: AppRow, out: Progress, deadline: DeployDeadline, started: () => void) {
    deadline.step('fetching the source');
    const rev = await deps.stages.revision(d, app, out, deadline.signal);
    started();
    try {
      const build = state.builds.start(app.id, rev.sha, rev.ref, (id) => path.join(deps.buildsDir, `${id}.log`));
      state.deployments.update(d.id, { buildId: build.id, sha: rev.sha });
      const buildLog = logFile(build.logPath);
      const record: Progress = (line) => {
        buildLog.write(line);
        deps.logLine?.(app.name, 'build', line);
      };
      const buildOut: Progress = (line) => {
        record(line);
        out(line);
      };
      const version = state.apps.nextVersion(app.id);
      let built;
      try {
        deadline.step('the build');
        built = await deps.stages.buildAndPush(rev, app, version, buildOut, deadline.signal);
        // A build log that could not be written (a full disk) fails the deploy, as any write would.
        const failed = await buildLog.close();
        if (failed) throw isDiskFull(failed) ? new DiskFullError(`cannot write the build log ${build.logPath}`, failed) : failed;
        state.builds.finish(build.id, { status: 'succeeded', imageId: built.image.digest });
      } catch (e) {
        // Stored with the build; the user sees the whole message once, as the deploy's failure.
        record(` !     build failed: ${(e as Error).message}`);
        state.builds.finish(build.id, { status: 'failed', error: (e as Error).message });
        throw e;
      } finally {
        void buildLog.close();
      }
      const previous = state.releases.current(app.id) ?? null;
      applyAppEnv(app, built.appJson, out);
      const release = state.releases.create(app.id, {
        version,
        image: built.image,
        sha: rev.sha,
        config: state.apps.config(app.id),
        services: built.services,
        // The user's choices (and the autoscaler's in-place counts), then those saved with --no-deploy.
        scale: releaseScale({ ...previous?.scale, ...deps.stages.carryScale?.(app, built.services, previous) }, built.services, state.apps.pendingScale(app.id), formationManaged(built)),
        appJson: built.appJson,
        releaseCommand: built.releaseCommand,
        serviceSource: built.serviceSource,
        description: `Deploy ${rev.sha.slice(0, 7)}`,
      });
      await rollout(app, release, previous, out, deadline, { releasePhase: true, scaleApplied: true });
      return { release: version };
    } finally {
      rmSync(rev.dir, { recursive: true, force: true });
    }
  }

  /** A new release from an existing one: rollback, config change, scale change. */
  async function rerelease(d: DeploymentRow, app: AppRow, out: Progress, deadline: DeployDeadline) {
    const current = state.releases.current(app.id);
    let base: ReleaseRow | undefined = current;
    let description: string;
    let config = state.apps.config(app.id);
    // Replicas saved with `scale --no-deploy` apply to the next release that carries the current scale.
    const pending = state.apps.pendingScale(app.id) ?? {};
    let scale = { ...current?.scale, ...pending };
    if (d.trigger === 'rollback') {
      const target = typeof d.params.version === 'number' ? d.params.version : previousVersion(app.id, current?.version);
      base = state.releases.find(app.id, target);
      if (!base) throw new UserError(`no release v${target} to roll back to (see: slipway releases ${app.name})`, 404);
      description = `Rollback to v${base.version}`;
      // Heroku semantics: a rollback restores the target's config vars too — in the app's config
      // only once it is live (see rollout): a failed rollback leaves the config as it was.
      config = base.config;
      scale = base.scale;
    } else if (d.trigger === 'scale') {
      scale = { ...scale, ...(d.params.scale as Record<string, number>) };
      description = `Scale ${Object.entries(d.params.scale as Record<string, number>).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    } else {
      description = String(d.params.description ?? 'Config change');
    }
    if (!base) throw new UserError(`${app.name} has no release yet: push code first`, 409);
    // `${VAR}` and named environment keys follow the config; a rollback keeps its release's own.
    const services = d.trigger === 'config' && base.serviceSource ? await deps.stages.servicesUnder(base.serviceSource, config, out, base.services) : base.services;
    // The replicas running now carry over (an autoscaled service keeps its count), unless set here.
    const carried = deps.stages.carryScale?.(app, services, current ?? null) ?? {};
    const asked = d.trigger === 'scale' ? (d.params.scale as Record<string, number>) : {};
    scale = { ...scale, ...Object.fromEntries(Object.entries(carried).filter(([k]) => !(k in asked) && !(k in pending && d.trigger !== 'rollback'))) };
    const version = state.apps.nextVersion(app.id);
    const release = state.releases.create(app.id, {
      version,
      image: base.image,
      sha: base.sha,
      config,
      services,
      scale,
      appJson: base.appJson,
      releaseCommand: base.releaseCommand,
      serviceSource: base.serviceSource,
      description,
    });
    out(`-----> ${description}: release v${version} (image ${base.image.tags[0] ?? base.image.digest.slice(0, 19)}, no build)`);
    // Neither a rollback nor a scale change brings new code or config to migrate for.
    const releasePhase = d.trigger === 'config';
    await rollout(app, release, current ?? null, out, deadline, { releasePhase, scaleApplied: d.trigger !== 'rollback', restoresConfig: d.trigger === 'rollback' });
    return { release: version };
  }

  /** app.json `env` on the app's config (defaults and secrets on the first deploy, `sync` keys always). */
  function applyAppEnv(app: AppRow, appJson: AppJson | null, out: Progress) {
    if (!appJson || !Object.keys(appJson.env).length) return;
    const plan = planAppEnv(appJson.env, state.apps.config(app.id), { firstDeploy: !state.releases.everLive(app.id), app: app.name });
    const keys = Object.keys(plan.set);
    if (!keys.length) return;
    state.apps.setConfig(app.id, plan.set);
    out(`-----> app.json env: set ${keys.map((k) => `${k} (${plan.why[k]})`).join(', ')}`);
  }

  /** `restoresConfig`: the release's config becomes the app's when it goes live (a rollback). */
  async function rollout(
    app: AppRow,
    release: ReleaseRow,
    previous: Release | null,
    out: Progress,
    deadline: DeployDeadline,
    opts: { releasePhase: boolean; scaleApplied: boolean; restoresConfig?: boolean },
  ) {
    const deployOut: Progress = (line) => {
      deps.logLine?.(app.name, 'deploy', line);
      out(line);
    };
    state.releases.setStatus(app.id, release.version, 'deploying');
    let live = false;
    deadline.step('the rollout');
    try {
      // Active as soon as it serves: a crash while the old release drains must keep the new one.
      await deps.stages.rollout(
        release,
        previous,
        deployOut,
        () => {
          state.db.transaction(() => {
            state.releases.activate(app.id, release.version);
            if (opts.restoresConfig) state.apps.setConfig(app.id, diffConfig(state.apps.config(app.id), release.config));
            if (opts.scaleApplied) state.apps.savePendingScale(app.id, null);
          })();
          live = true;
        },
        { releasePhase: opts.releasePhase, signal: deadline.signal },
      );
    } catch (e) {
      // Once live, the release serves; a failed clean-up of the old one is not a failed deploy.
      if (!live) {
        state.releases.setStatus(app.id, release.version, 'failed', (e as Error).message);
        throw e;
      }
      deployOut(` !     v${release.version} serves, but cleaning up after it failed: ${(e as Error).message}`);
    }
    state.apps.event(app.id, 'release', `v${release.version} ${release.description}`);
    deployOut(`-----> Deployed v${release.version} at ${deps.appUrl(app.name)}`);
  }

  /** The autoscaler's in-place change: no new release, the serving one gets more or fewer replicas. */
  async function autoscale(d: DeploymentRow, app: AppRow, out: Progress) {
    const current = state.releases.current(app.id);
    if (!current) throw new UserError(`${app.name} has no release to scale`, 409);
    if (!deps.stages.resize) throw new UserError('this Slipway cannot scale in place');
    const p = d.params as unknown as AutoscaleParams;
    const event = { service: p.service, release: current.version, from: p.from, to: p.replicas, reason: p.reason, metrics: p.metrics };
    out(`-----> Autoscale ${p.service} ${p.from} → ${p.replicas}: ${p.reason}`);
    try {
      event.from = await deps.stages.resize(current, p.service, p.replicas, out);
    } catch (e) {
      state.scaling.recordEvent(app.id, { ...event, outcome: 'failed', error: (e as Error).message });
      throw e;
    }
    state.scaling.setReplicas(app.id, current.version, p.service, p.replicas);
    state.scaling.recordEvent(app.id, { ...event, outcome: 'done', error: null });
    state.apps.event(app.id, 'autoscale', `${p.service} ${event.from} → ${p.replicas}: ${p.reason}`);
    return { release: current.version };
  }

  function previousVersion(appId: number, current: number | undefined): number {
    const older = state.releases
      .list(appId)
      .find((r) => r.version < (current ?? Infinity) && (r.status === 'superseded' || r.status === 'active'));
    if (!older) throw new UserError('there is no earlier release to roll back to', 409);
    return older.version;
  }

  /** Only webhook deploys report: their sha is one the repository host knows. Updates go out in
   *  order, one at a time, off the deploy's path (a slow status API never delays a rollout). */
  function statusUpdates(d: DeploymentRow, app: AppRow): (u: CommitStatusUpdate) => void {
    const report = deps.commitStatus;
    const sha = d.sha;
    if (!report || d.trigger !== 'webhook' || !sha) return () => undefined;
    let chain = Promise.resolve();
    return (u) => {
      chain = chain.then(() => report(d, app, sha, u)).catch(() => undefined);
    };
  }

  /** Retention never fails a deployment: what it could not remove waits for the next one. */
  async function retain(app: AppRow, out: Progress) {
    try {
      await deps.retain?.(app, out);
    } catch (e) {
      out(` !     could not remove old releases yet (${(e as Error).message.split('\n')[0]}); the next deploy tries again`);
    }
  }

  return async (d, out, deadline) => {
    const app = state.apps.byId(d.appId);
    try {
      return await run(d, app, out, deadline);
    } finally {
      await retain(app, out);
    }
  };

  async function run(d: DeploymentRow, app: AppRow, out: Progress, deadline: DeployDeadline) {
    if (d.trigger === 'push' || d.trigger === 'cli' || d.trigger === 'webhook') {
      const status = statusUpdates(d, app);
      // Pending once the commit is known to be one to deploy (an old, replayed one is not).
      const pending = () => status({ state: 'pending', description: 'Slipway is building and deploying this commit' });
      try {
        const result = await codeDeploy(d, app, out, deadline, pending);
        deps.released?.(app, result.release, d, out);
        status({ state: 'success', description: `Deployed as v${result.release}`, targetUrl: deps.appUrl(app.name) });
        return result;
      } catch (e) {
        if (e instanceof Superseded) throw e;
        // Whether the queue retries is not known here; a retry sets pending again, so the
        // host's latest status is always the latest attempt's.
        const retried = e instanceof UserError ? '' : ' (transient faults are retried)';
        status({ state: 'failure', description: `Deploy failed${retried}: ${(e as Error).message.split('\n')[0]}` });
        throw e;
      }
    }
    if (d.trigger === 'autoscale') return autoscale(d, app, out);
    const result = await rerelease(d, app, out, deadline);
    deps.released?.(app, result.release, d, out);
    return result;
  }
}

function diffConfig(current: Record<string, string>, target: Record<string, string>): Record<string, string | null> {
  const changes: Record<string, string | null> = { ...target };
  for (const k of Object.keys(current)) if (!(k in target)) changes[k] = null;
  return changes;
}

/** An append-only text file whose write errors (a full disk) are kept, not thrown as an
 *  unhandled 'error' event: `close` resolves with the first one, or null. */
function logFile(file: string): { write(line: string): void; close(): Promise<unknown> } {
  const stream = createWriteStream(file);
  let failure: unknown = null;
  stream.on('error', (e) => (failure ??= e));
  let closed: Promise<unknown> | null = null;
  return {
    write: (line) => {
      if (failure === null && closed === null) stream.write(line + '\n');
    },
    close: () =>
      (closed ??= new Promise((resolve) => {
        if (stream.destroyed) return resolve(failure);
        stream.end(() => resolve(failure));
        stream.once('error', () => resolve(failure));
      })),
  };
}
