// The registry stage: a BuiltImage becomes an ImageRef — tagged vN and git-<sha12>, pushed,
// addressed by the digest the registry reported. Also pulls a release back for rollbacks, and
// pins a compose `image:` to its digest when a release is made.
import type Dockerode from 'dockerode';
import { isPinnedImage, type BuiltImage, type ImageRef, type Progress } from '../domain.js';
import { TransientError, UserError } from '../errors.js';
import { inspectImage, pullImage as enginePull, pushImage, tagImage } from '../docker/images.js';

/** The tags a release is stored under. */
export function releaseTags(version: number, sha: string): string[] {
  return [`v${version}`, `git-${sha.slice(0, 12)}`];
}

export function repositoryFor(registry: string, app: string): string {
  return `${registry}/${app}`;
}

export interface PushOptions {
  /** host:port of the registry (Config.registry). */
  registry: string;
  version: number;
  progress: Progress;
  /** Stops the push (a hung registry); it then fails with the signal's reason. */
  signal?: AbortSignal;
}

/** Pushes both tags; both name one manifest, so the digest of the first push is the ref's. */
export async function pushRelease(docker: Dockerode, image: BuiltImage, opts: PushOptions): Promise<ImageRef> {
  const repository = repositoryFor(opts.registry, image.app);
  const tags = releaseTags(opts.version, image.sha);
  opts.progress(`-----> Pushing v${opts.version} to ${repository}`);
  let digest: string | null = null;
  for (const tag of tags) {
    await tagImage(docker, image.imageId, repository, tag);
    const pushed = await pushImage(docker, repository, tag, undefined, opts.signal);
    if (digest !== null && pushed !== digest) {
      throw new TransientError(`registry reported ${pushed} for ${repository}:${tag} but ${digest} for ${tags[0]}`);
    }
    digest = pushed;
    opts.progress(`       Pushed ${repository}:${tag} (${pushed})`);
  }
  return { repository, tags, digest: digest as string, ref: `${repository}@${digest}` };
}

/**
 * The immutable name of a compose `image:` (`redis:7`): its registry digest (`redis@sha256:…`),
 * pulled first when the engine lacks it; a local-only image's id when it has no digest.
 */
export async function pinImage(docker: Dockerode, image: string, progress?: Progress, signal?: AbortSignal): Promise<string> {
  if (isPinnedImage(image)) return image;
  let info = await inspectImage(docker, image);
  if (!info) {
    progress?.(`-----> Pulling ${image}`);
    await enginePull(docker, image, undefined, signal);
    info = await inspectImage(docker, image);
    if (!info) throw new TransientError(`pulled ${image} but the engine does not have it`);
  }
  const repo = image.replace(/:[^:/]+$/, '');
  const digest = info.repoDigests.find((d) => d.startsWith(`${repo}@`)) ?? info.repoDigests[0];
  return digest ?? info.id;
}

/** Makes `ref` present on this engine (a rollback on a host that lacks the image). */
export async function pullImage(docker: Dockerode, ref: ImageRef | string, progress?: Progress, signal?: AbortSignal): Promise<void> {
  const name = typeof ref === 'string' ? ref : ref.ref;
  if (typeof ref !== 'string' && !isPinnedImage(name))
    throw new UserError(`release image ${name} is not pinned by digest; Slipway runs releases by digest only (deploy the app again)`);
  if (await inspectImage(docker, name)) return;
  progress?.(`-----> Pulling ${name}`);
  await enginePull(docker, name, undefined, signal);
}
