// Base images in Slipway's registry — what a Dockerfile's `FROM node:22-slim` finds with the
// registry as Docker's mirror: the seeded ones, and those imported from a `docker save`
// archive (for hosts without Docker Hub). Apps' own repositories are not base images.
import type Dockerode from 'dockerode';
import type { Progress } from '../domain.js';
import { UserError } from '../errors.js';
import { loadImages, pushImage, tagImage } from '../docker/images.js';
import { listRepositories, listTags, tagDigest } from './api.js';
import type { BaseImageLookup } from '../build/base-image.js';

export interface BaseImage {
  /** As a Dockerfile names it: `node:22-slim`, `bitnami/redis:7`. */
  name: string;
  repository: string;
  tag: string;
  digest: string | null;
}

/** App repositories are single names (app names have no `/`); base images live under `library/` or an org. */
const isBaseRepository = (repo: string) => repo.includes('/');

/** `library/node` + `22-slim` → `node:22-slim`. */
export function displayName(repository: string, tag: string): string {
  return `${repository.replace(/^library\//, '')}:${tag}`;
}

/**
 * Where a Docker Hub name lives in the mirror: `node:20` → library/node:20, `org/x` →
 * org/x:latest. A name on another registry (`ghcr.io/a/b`) is not mirrored: null.
 */
export function mirrorPath(name: string): { repository: string; tag: string } | null {
  const at = name.indexOf('@');
  const ref = at >= 0 ? name.slice(0, at) : name;
  const slash = ref.indexOf('/');
  const first = slash >= 0 ? ref.slice(0, slash) : '';
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) return null;
  const colon = ref.lastIndexOf(':');
  const [repo, tag] = colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repo) || !/^[\w][\w.-]{0,127}$/.test(tag)) return null;
  return { repository: repo.includes('/') ? repo : `library/${repo}`, tag };
}

export async function listBaseImages(registry: string): Promise<BaseImage[]> {
  const out: BaseImage[] = [];
  for (const repository of (await listRepositories(registry)).filter(isBaseRepository)) {
    for (const tag of await listTags(registry, repository)) {
      out.push({ name: displayName(repository, tag), repository, tag, digest: await tagDigest(registry, repository, tag) });
    }
  }
  return out;
}

export interface ImportedImage {
  name: string;
  /** Where later builds find it through the mirror; null for a name on another registry (kept on this engine). */
  pushedAs: string | null;
  digest: string | null;
}

/** Loads a `docker save` archive and pushes each Docker Hub name into the registry. */
export async function importImages(docker: Dockerode, registry: string, archive: NodeJS.ReadableStream, progress: Progress = () => undefined): Promise<ImportedImage[]> {
  const loaded = await loadImages(docker, archive);
  if (!loaded.names.length)
    throw new UserError(
      loaded.ids.length
        ? 'the archive holds images without a name: save them by name (docker save node:20-slim -o node.tar) so builds can find them'
        : 'the archive holds no image: make it with docker save NAME:TAG -o FILE.tar',
      422,
    );
  const out: ImportedImage[] = [];
  for (const name of loaded.names) {
    const where = mirrorPath(name);
    if (!where) {
      progress(`${name}: loaded on this engine (a name on another registry is not mirrored)`);
      out.push({ name, pushedAs: null, digest: null });
      continue;
    }
    const repo = `${registry}/${where.repository}`;
    await tagImage(docker, name, repo, where.tag);
    const digest = await pushImage(docker, repo, where.tag);
    progress(`${name}: pushed as ${repo}:${where.tag} (${digest})`);
    out.push({ name, pushedAs: `${repo}:${where.tag}`, digest });
  }
  return out;
}

/** What a failed FROM asks the registry (build/base-image.ts): the base images, and whether it holds one. */
export function baseImageLookup(registry: string): BaseImageLookup {
  return {
    list: async () => (await listBaseImages(registry)).map((i) => i.name),
    has: async (name) => {
      const where = mirrorPath(name);
      return where !== null && (await tagDigest(registry, where.repository, where.tag)) !== null;
    },
  };
}
