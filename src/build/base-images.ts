// The seeded base images (scripts/base-images.sh records each one's digest in
// DATA/base-images.json) and the check that a build uses exactly those: the registry takes
// pushes without credentials, so anyone on the machine could push another `library/node:18-slim`
// that every later `FROM node:18-slim` would build on. A build naming a recorded image whose
// digest changed — in the registry or in the engine's local copy — is refused, saying how to re-seed.
import { readFileSync } from 'node:fs';
import { TransientError, UserError } from '../errors.js';

export interface BaseImage {
  /** As Dockerfiles name it: `node:18-slim`. */
  name: string;
  /** host:port of the registry it was seeded into. */
  registry: string;
  /** `library/node` */
  repository: string;
  tag: string;
  /** `sha256:…` manifest digest recorded when it was seeded. */
  digest: string;
}

export interface BaseImageDeps {
  records: BaseImage[];
  /** The digest the registry now serves for repository:tag; null when it has none. */
  registryDigest(registry: string, repository: string, tag: string): Promise<string | null>;
  /** RepoDigests of the engine's local image of that name; null when there is none. */
  localDigests(ref: string): Promise<string[] | null>;
}

/** The records in `file`; none when the file is missing (nothing seeded by this install). */
export function readBaseImages(file: string): BaseImage[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const doc = JSON.parse(text) as { images?: BaseImage[] };
    return (doc.images ?? []).filter((r) => r && typeof r.name === 'string' && typeof r.digest === 'string');
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message}); re-seed the base images: bash scripts/base-images.sh`, 500);
  }
}

/**
 * `node:18-slim`, `docker.io/library/node:18-slim` and `library/node:18-slim` are one image:
 * `node:18-slim`. Other registries keep their host. null for a reference pinned by digest.
 */
export function canonicalImage(ref: string): string | null {
  if (ref.includes('@')) return null;
  const parts = ref.split('/');
  const first = parts[0]!;
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let host = hasHost ? first : 'docker.io';
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  let path = (hasHost ? parts.slice(1) : parts).join('/');
  const lastSlash = path.lastIndexOf('/');
  if (!path.slice(lastSlash + 1).includes(':')) path += ':latest';
  if (host !== 'docker.io') return `${host}/${path}`;
  return path.startsWith('library/') ? path.slice('library/'.length) : path;
}

/** Checks every recorded image among `refs`; says which ones it checked. */
export async function checkBaseImages(refs: string[], deps: BaseImageDeps, say: (line: string) => void = () => undefined): Promise<void> {
  for (const ref of refs) {
    const canonical = canonicalImage(ref);
    const r = canonical ? deps.records.find((x) => x.name === canonical || `${x.registry}/${x.repository}:${x.tag}` === canonical) : undefined;
    if (!r) continue;
    const reseed = `If the change is yours, re-seed it: bash scripts/base-images.sh --reseed ${r.name}`;
    const now = await deps.registryDigest(r.registry, r.repository, r.tag).catch((e: unknown) => {
      throw new TransientError(`cannot check base image ${r.name} in the registry ${r.registry}: ${(e as Error).message}`);
    });
    if (now !== r.digest)
      throw new UserError(
        `base image ${r.name} changed behind Slipway's back: the registry ${r.registry} ${now ? `now has ${now}` : 'no longer has it'} for ${r.repository}:${r.tag}, ` +
          `but ${r.digest} was recorded when it was seeded. The build is refused. ${reseed}`,
      );
    const local = await deps.localDigests(ref);
    if (local && !local.some((d) => d.endsWith(`@${r.digest}`)))
      throw new UserError(
        `base image ${r.name}: the Docker Engine's local copy is not the seeded ${r.digest} (it has ${local.join(', ') || 'no registry digest'}). ` +
          `The build is refused. Remove it (docker image rm ${ref}) to use the seeded one, or ${reseed.charAt(0).toLowerCase()}${reseed.slice(1)}`,
      );
    say(`       Base image ${r.name} is the seeded one (${r.digest.slice(0, 19)}…)`);
  }
}
