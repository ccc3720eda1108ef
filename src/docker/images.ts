// Docker Engine adapter for images: inspect, find an app's builds, tag, push, pull, remove.
import type Dockerode from 'dockerode';
import { TransientError, UserError } from '../errors.js';
import { engineError, isTransientMessage, jsonMessages, type JsonMessage } from './client.js';

export interface ImageInfo {
  id: string;
  /** EXPOSEd TCP ports, ascending. */
  exposedPorts: number[];
  /** Every EXPOSE as the engine reports it: `5432/tcp`, `53/udp`. */
  exposed: string[];
  labels: Record<string, string>;
  repoDigests: string[];
  created: string;
  /** What a container of it runs unless told otherwise. */
  entrypoint: string[] | null;
  cmd: string[] | null;
}

/** Inspects a local image; null when the engine doesn't have it. */
export async function inspectImage(docker: Dockerode, ref: string): Promise<ImageInfo | null> {
  try {
    const info = await docker.getImage(ref).inspect();
    const ports = Object.keys(info.Config?.ExposedPorts ?? {})
      .filter((p) => p.endsWith('/tcp') || !p.includes('/'))
      .map((p) => Number.parseInt(p, 10))
      .filter((n) => Number.isInteger(n) && n > 0)
      .sort((a, b) => a - b);
    return {
      id: info.Id,
      exposedPorts: ports,
      exposed: Object.keys(info.Config?.ExposedPorts ?? {}),
      labels: info.Config?.Labels ?? {},
      repoDigests: info.RepoDigests ?? [],
      created: info.Created,
      entrypoint: (info.Config?.Entrypoint as string[] | null | undefined) ?? null,
      cmd: info.Config?.Cmd ?? null,
    };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return null;
    throw engineError(e, `inspect image ${ref}`);
  }
}

/** Local image ids labelled with `label=value`, newest first. */
export async function imagesLabelled(docker: Dockerode, label: string, value: string): Promise<string[]> {
  try {
    const list = await docker.listImages({ filters: JSON.stringify({ label: [`${label}=${value}`] }) });
    return list.sort((a, b) => b.Created - a.Created).map((i) => i.Id);
  } catch (e) {
    throw engineError(e, 'list images');
  }
}

export async function tagImage(docker: Dockerode, image: string, repo: string, tag: string): Promise<void> {
  try {
    await docker.getImage(image).tag({ repo, tag });
  } catch (e) {
    throw engineError(e, `tag ${image} as ${repo}:${tag}`);
  }
}

/**
 * Pushes `repo:tag` and returns the manifest digest the registry reported (the `aux` message).
 * Any failure of a push is the registry's or the network's, so it is a TransientError.
 */
export async function pushImage(docker: Dockerode, repo: string, tag: string, onMessage?: (m: JsonMessage) => void, signal?: AbortSignal): Promise<string> {
  const what = `push ${repo}:${tag}`;
  let digest: string | null = null;
  try {
    // An empty auth header: the local registry needs none, and some engines insist on the header.
    const res = await docker.getImage(`${repo}:${tag}`).push({ tag, authconfig: {} as Dockerode.AuthConfig, ...(signal ? { abortSignal: signal } : {}) });
    for await (const m of jsonMessages(res as AsyncIterable<Buffer>)) {
      if (m.error) throw new TransientError(`${what}: ${m.errorDetail?.message ?? m.error}`);
      if (m.aux?.Digest) digest = m.aux.Digest;
      onMessage?.(m);
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof TransientError) throw e;
    const err = engineError(e, what);
    throw err instanceof TransientError ? err : new TransientError(err.message);
  }
  if (!digest) throw new TransientError(`${what}: the engine reported no digest`);
  return digest;
}

/** Pulls `ref` (`repo:tag` or `repo@sha256:…`); a registry that is down is a TransientError. */
export async function pullImage(docker: Dockerode, ref: string, onMessage?: (m: JsonMessage) => void, signal?: AbortSignal): Promise<void> {
  const what = `pull ${ref}`;
  try {
    const res = await docker.pull(ref, { authconfig: {} as Dockerode.AuthConfig, ...(signal ? { abortSignal: signal } : {}) });
    for await (const m of jsonMessages(res as AsyncIterable<Buffer>)) {
      if (m.error) {
        const message = `${what}: ${m.errorDetail?.message ?? m.error}`;
        throw isTransientMessage(message) ? new TransientError(message) : new Error(message);
      }
      onMessage?.(m);
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof Error && e.message.startsWith(what)) throw e;
    throw engineError(e, what);
  }
}

/** Removes a local image or tag; a missing one is fine. */
export async function removeImage(docker: Dockerode, ref: string, force = false): Promise<void> {
  try {
    await docker.getImage(ref).remove({ force });
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return;
    throw engineError(e, `remove image ${ref}`);
  }
}

/**
 * Loads a `docker save` archive into the engine; returns the names it loaded (`node:20-slim`),
 * or the ids of images saved without a name. A bad archive is the user's to fix.
 */
export async function loadImages(docker: Dockerode, archive: NodeJS.ReadableStream): Promise<{ names: string[]; ids: string[] }> {
  const out = { names: [] as string[], ids: [] as string[] };
  try {
    const res = await docker.loadImage(archive, { quiet: true });
    for await (const m of jsonMessages(res as AsyncIterable<Buffer>)) {
      if (m.error) throw new UserError(`the archive could not be loaded: ${m.errorDetail?.message ?? m.error}`);
      const text = m.stream ?? '';
      for (const [, name] of text.matchAll(/Loaded image: (\S+)/g)) out.names.push(name!);
      for (const [, id] of text.matchAll(/Loaded image ID: (\S+)/g)) out.ids.push(id!);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    const err = engineError(e, 'load the image archive');
    throw (err as { statusCode?: number }).statusCode === 500 || (err as { statusCode?: number }).statusCode === 400 ? new UserError(err.message) : err;
  }
  return out;
}

/** Removes the dangling (untagged) images labelled `label=value`: layers a rebuild left behind. */
export async function pruneDanglingImages(docker: Dockerode, label: string, value: string): Promise<number> {
  try {
    const r = await docker.pruneImages({ filters: JSON.stringify({ dangling: ['true'], label: [`${label}=${value}`] }) } as object);
    return r.SpaceReclaimed ?? 0;
  } catch (e) {
    throw engineError(e, 'prune dangling images');
  }
}
