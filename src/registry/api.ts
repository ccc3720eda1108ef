// The registry's HTTP API (Docker distribution v2): list repositories and an app's tags, resolve
// and delete a tag's manifest.
import { TransientError, UserError } from '../errors.js';

/** `http://` for a loopback registry (Slipway's own, as Docker's insecure-registries has it), else https. */
export function registryUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const loopback = host === 'localhost' || host.startsWith('127.') || host === '[::1]';
  return `${loopback ? 'http' : 'https'}://${registry}`;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

async function call(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new TransientError(`${what}: registry unreachable (${cause})`);
  }
}

/** Tags of `app`'s repository, sorted; [] when the repository doesn't exist yet. */
export async function listTags(registry: string, app: string): Promise<string[]> {
  const what = `list tags of ${app}`;
  const res = await call(`${registryUrl(registry)}/v2/${app}/tags/list`, {}, what);
  if (res.status === 404) return [];
  if (!res.ok) throw new TransientError(`${what}: registry answered ${res.status}`);
  const body = (await res.json()) as { tags?: string[] | null };
  return [...(body.tags ?? [])].sort();
}

/** The manifest digest a tag points at, or null when there is no such tag. */
export async function tagDigest(registry: string, app: string, tag: string): Promise<string | null> {
  const what = `resolve ${app}:${tag}`;
  const res = await call(`${registryUrl(registry)}/v2/${app}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_TYPES } }, what);
  if (res.status === 404) return null;
  if (!res.ok) throw new TransientError(`${what}: registry answered ${res.status}`);
  return res.headers.get('docker-content-digest');
}

/**
 * Deletes the manifest `tag` points at (and so every tag on it); blobs are reclaimed later by
 * the registry's own `garbage-collect`. Needs the registry's `storage.delete.enabled: true`.
 */
export async function deleteTag(registry: string, app: string, tag: string): Promise<boolean> {
  const digest = await tagDigest(registry, app, tag);
  if (!digest) return false;
  return deleteManifest(registry, app, digest, `delete ${app}:${tag}`);
}

/** Deletes a manifest by digest (and every tag on it); false when it is already gone. */
export async function deleteManifest(registry: string, app: string, digest: string, what = `delete ${app}@${digest}`): Promise<boolean> {
  const res = await call(`${registryUrl(registry)}/v2/${app}/manifests/${digest}`, { method: 'DELETE' }, what);
  if (res.status === 405) throw new UserError(`${what}: the registry has deletes disabled (set storage.delete.enabled: true)`, 409);
  if (res.status === 404) return false;
  if (!res.ok) throw new TransientError(`${what}: registry answered ${res.status}`);
  return true;
}

/** Every repository in the registry (apps' and base images'), following the catalog's pages. */
export async function listRepositories(registry: string): Promise<string[]> {
  const out: string[] = [];
  let next: string | null = `${registryUrl(registry)}/v2/_catalog?n=1000`;
  while (next) {
    const res = await call(next, {}, 'list repositories');
    if (!res.ok) throw new TransientError(`list repositories: registry answered ${res.status}`);
    out.push(...(((await res.json()) as { repositories?: string[] }).repositories ?? []));
    // Link: </v2/_catalog?last=x&n=1000>; rel="next"
    const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    next = link ? new URL(link, registryUrl(registry)).toString() : null;
  }
  return out.sort();
}
