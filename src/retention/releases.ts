// Release retention for one app, run at the end of each of its deployments (in its turn, so no
// build of the app runs meanwhile): the releases planRetention lets go lose their rows, build
// logs, deploy outputs, registry manifests and local images; the registry's garbage collection
// then reclaims their layers off the deploy's path.
import { rmSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { LABELS, type Progress } from '../domain.js';
import { buildTag } from '../build/build.js';
import { imagesLabelled, inspectImage, pruneDanglingImages, removeImage } from '../docker/images.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { deleteManifest } from '../registry/api.js';
import type { RegistryGc } from '../registry/gc.js';
import type { AppRow } from '../state/apps.js';
import type { State } from '../state/index.js';
import type { ReleaseRow } from '../state/releases.js';
import { planRetention, type RetentionPlan } from './plan.js';

export interface RetentionDeps {
  state: State;
  docker: Dockerode;
  /** host:port of the registry. */
  registry: string;
  gc: RegistryGc;
  /** Deletes a deployment's stored output. */
  removeOutput(deploymentId: number): void;
  keepReleases: number;
  logger: Logger;
}

/** Applies the app's retention; says what went on `out`. Registry first: if it can't be reached,
 *  nothing is removed and the next deployment tries again. */
export async function pruneReleases(deps: RetentionDeps, app: AppRow, out: Progress = () => undefined): Promise<RetentionPlan> {
  const { state } = deps;
  const releases = state.releases.list(app.id);
  const plan = planRetention(
    deps.keepReleases,
    releases.map((r) => ({ version: r.version, status: r.status, digest: r.image.digest, createdAt: r.createdAt })),
    state.deployments.all(app.id).map((d) => ({
      id: d.id,
      status: d.status,
      trigger: d.trigger,
      releaseVersion: d.releaseVersion,
      buildId: d.buildId,
      createdAt: d.createdAt,
      ...(d.trigger === 'rollback' && typeof d.params.version === 'number' ? { rollbackTo: d.params.version } : {}),
    })),
  );
  if (!plan.releases.length && !plan.deployments.length && !plan.builds.length) return plan;
  for (const digest of plan.digests) await deleteManifest(deps.registry, app.name, digest);
  const gone = releases.filter((r) => plan.releases.includes(r.version));
  const kept = releases.filter((r) => !plan.releases.includes(r.version));
  await removeLocalImages(deps, app.name, kept, gone).catch((e: unknown) =>
    deps.logger.warn('retention: could not remove every old image of the app', { app: app.name, error: errorMessage(e) }),
  );
  for (const b of state.builds.all(app.id)) if (plan.builds.includes(b.id)) rmSync(b.logPath, { force: true });
  for (const id of plan.deployments) deps.removeOutput(id);
  state.db.transaction(() => {
    state.deployments.delete(plan.deployments);
    state.builds.delete(plan.builds);
    state.releases.delete(app.id, plan.releases);
  })();
  if (plan.digests.length) deps.gc.schedule();
  if (gone.length) out(`-----> Keeping the last ${deps.keepReleases} releases: removed ${gone.map((r) => `v${r.version}`).join(', ')} and their images`);
  return plan;
}

/** Untags what the gone releases were stored under, then removes every image of the app no
 *  kept release runs (their tags included), and the dangling layers rebuilds left. */
async function removeLocalImages(deps: RetentionDeps, app: string, kept: ReleaseRow[], gone: ReleaseRow[]): Promise<void> {
  const { docker } = deps;
  const keptShas = new Set(kept.map((r) => r.sha));
  const keptIds = new Set<string>();
  for (const r of kept) {
    for (const ref of [r.image.ref, r.sha ? buildTag(app, r.sha) : null]) {
      const info = ref ? await inspectImage(docker, ref) : null;
      if (info) keptIds.add(info.id);
    }
  }
  const untag = async (ref: string) => removeImage(docker, ref).catch((e: unknown) => deps.logger.debug('retention: image kept', { ref, error: errorMessage(e) }));
  for (const r of gone) {
    for (const tag of r.image.tags) await untag(`${r.image.repository}:${tag}`);
    if (r.sha && !keptShas.has(r.sha)) await untag(buildTag(app, r.sha));
  }
  for (const id of await imagesLabelled(docker, LABELS.app, app)) if (!keptIds.has(id)) await removeAppImage(docker, id, deps.logger);
  await pruneDanglingImages(docker, LABELS.app, app);
}

/** Removes an image with every tag it has; one a container still runs is left (and logged). */
export async function removeAppImage(docker: Dockerode, id: string, logger: Logger): Promise<void> {
  await removeImage(docker, id, true).catch((e: unknown) => logger.debug('image kept', { id, error: errorMessage(e) }));
}
