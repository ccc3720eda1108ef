// `apps:destroy`: everything of an app goes — containers, route, network, volumes, its git repo
// and mirror, its log lines and log checkpoints, build logs, deploy outputs, uploads, registry
// manifests and local images — so a new app of the same name starts from nothing (it must not
// see the old one's logs). The state rows go after this, with the app (cascade).
import { rmSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { LABELS } from '../domain.js';
import type { Containers } from '../docker/containers.js';
import { imagesLabelled, pruneDanglingImages } from '../docker/images.js';
import type { Networks } from '../docker/networks.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { deleteManifest, listTags, tagDigest } from '../registry/api.js';
import type { RegistryGc } from '../registry/gc.js';
import type { AppRow } from '../state/apps.js';
import type { State } from '../state/index.js';
import { removeAppImage } from './releases.js';

export interface TeardownDeps {
  state: State;
  docker: Dockerode;
  containers: Containers;
  networks: Networks;
  /** The app's HAProxy route and server slots. */
  removeRoute(app: string): Promise<void>;
  /** The app's network name. */
  networkName(app: string): string;
  /** The bare repository pushes go to, and the mirror webhook deploys fetch into. */
  removeRepo(app: string): void;
  mirrorsDir: string;
  forgetLogs(app: string, containers: string[], volumes: string[]): Promise<unknown>;
  removeOutput(deploymentId: number): void;
  registry: string;
  gc: RegistryGc;
  logger: Logger;
}

export async function destroyApp(deps: TeardownDeps, app: AppRow): Promise<void> {
  const { state, docker, logger } = deps;
  const name = app.name;
  const all = await deps.containers.listContainers({ app: name, all: true });
  for (const c of all) {
    await deps.containers.stopContainer(c.id, 0);
    await deps.containers.removeContainer(c.id);
  }
  await deps.removeRoute(name);
  await deps.networks.removeNetwork(deps.networkName(name));
  const volumes = await deps.networks.removeVolumes(name);
  deps.removeRepo(name);
  rmSync(path.join(deps.mirrorsDir, `${name}.git`), { recursive: true, force: true });
  await deps.forgetLogs(name, all.map((c) => c.id), volumes);

  for (const b of state.builds.all(app.id)) rmSync(b.logPath, { force: true });
  for (const d of state.deployments.all(app.id)) {
    deps.removeOutput(d.id);
    if (typeof d.params.upload === 'string') rmSync(d.params.upload, { force: true });
  }

  // Every manifest of the app's repository: its releases' digests and whatever its tags name.
  const digests = new Set(state.releases.list(app.id).map((r) => r.image.digest));
  try {
    for (const tag of await listTags(deps.registry, name)) {
      const d = await tagDigest(deps.registry, name, tag);
      if (d) digests.add(d);
    }
    for (const d of digests) await deleteManifest(deps.registry, name, d);
    deps.gc.schedule();
  } catch (e) {
    // The app is destroyed anyway; its layers stay in the registry until someone deletes them.
    logger.warn('destroy: could not delete the app\'s images from the registry', { app: name, error: errorMessage(e) });
  }
  for (const id of await imagesLabelled(docker, LABELS.app, name)) await removeAppImage(docker, id, logger);
  await pruneDanglingImages(docker, LABELS.app, name).catch(() => undefined);
}
