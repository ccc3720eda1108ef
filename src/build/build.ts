// The build stage: a SourceRevision becomes a local image, from the repo's Dockerfile or a
// buildpack, built by the Docker Engine with the previous build as cache.
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { Config } from '../config.js';
import { LABELS, type AppJson, type BuiltImage, type Progress, type SourceRevision } from '../domain.js';
import { TransientError, UserError } from '../errors.js';
import { isTransientMessage } from '../docker/client.js';
import { buildImage } from '../docker/build.js';
import { imagesLabelled, inspectImage } from '../docker/images.js';
import { parseAppJson } from './app-json.js';
import { baseImageError, fromImage, type BaseImageLookup } from './base-image.js';
import { BuildLog } from './build-log.js';
import { chooseBuildpack, DEFAULT_BUILDPACKS_DIR, detectBuildpack } from './buildpacks.js';
import { engineRange, nodeBaseImage } from './node-runtime.js';
import { buildContext, type ContextOptions } from './context.js';
import { baseImages, declaredArgs } from './dockerfile.js';
import { parseProcfile } from './procfile.js';
import { readRepoFile } from './repo-files.js';

export const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yaml', 'compose.yml'];
/** Names Slipway gives its own files in the build context. */
export const GENERATED_DOCKERFILE = 'Dockerfile.slipway';
export const CA_FILE = 'slipway-ca.crt';
/**
 * A user Dockerfile can't be rewritten, so with SLIPWAY_BUILD_CA_FILE set the bundle is put in
 * the context as slipway-ca.crt and offered as this build arg to Dockerfiles that declare it:
 *   ARG SLIPWAY_CA_FILE
 *   COPY ${SLIPWAY_CA_FILE} /usr/local/share/ca-certificates/slipway-ca.crt
 *   RUN update-ca-certificates
 * Buildpack Dockerfiles do this themselves.
 */
export const CA_BUILD_ARG = 'SLIPWAY_CA_FILE';
/** How many of the app's earlier builds are offered as cache. */
const CACHE_IMAGES = 3;

export interface BuildOptions {
  docker: Dockerode;
  config: Pick<Config, 'buildCaFile'>;
  /** The app's config vars; passed as build args only for the ARGs the Dockerfile declares. */
  appConfig: Record<string, string>;
  /** Dockerfile path relative to the repo root (default `Dockerfile`). */
  dockerfilePath?: string;
  release?: number;
  progress: Progress;
  signal?: AbortSignal;
  buildpacksDir?: string;
  /**
   * Checks what the repo says to run (compose file, Procfile, app.json) before the build starts,
   * so a mistake there is reported in a second rather than after a build; throws UserError.
   */
  check?: (inputs: Pick<BuiltImage, 'processes' | 'appJson' | 'compose'>) => void;
  /** What the registry holds, for the message when a FROM image cannot be pulled. */
  baseImages?: BaseImageLookup;
  /** Refuses (UserError) base images that are not what was seeded (see base-images.ts). */
  checkBaseImages?: (refs: string[], say: Progress) => Promise<void>;
}

/** `slipway/demo:build-0123456789ab`: the local tag of a revision's build. */
export function buildTag(app: string, sha: string): string {
  return `slipway/${app}:build-${sha.slice(0, 12)}`;
}

export async function buildRevision(rev: SourceRevision, opts: BuildOptions): Promise<BuiltImage> {
  const { dir } = rev;
  const procfile = readRepoFile(dir, 'Procfile', 'Procfile');
  const processes = procfile === null ? {} : parseProcfile(procfile);
  const appJsonText = readRepoFile(dir, 'app.json', 'app.json');
  const appJson: AppJson | null = appJsonText === null ? null : parseAppJson(appJsonText);
  const compose = firstCompose(dir);
  opts.check?.({ processes, appJson, compose });

  const dockerfilePath = safeRelative(opts.dockerfilePath ?? 'Dockerfile');
  const userDockerfile = readRepoFile(dir, dockerfilePath, 'Dockerfile');
  if (userDockerfile === null && opts.dockerfilePath !== undefined && opts.dockerfilePath !== 'Dockerfile') {
    throw new UserError(`no Dockerfile at ${dockerfilePath} (the app's configured Dockerfile path)`);
  }
  const ca = Boolean(opts.config.buildCaFile);
  const inject: ContextOptions['inject'] = {};
  if (opts.config.buildCaFile) inject[CA_FILE] = { file: opts.config.buildCaFile };

  const buildpacksDir = opts.buildpacksDir ?? DEFAULT_BUILDPACKS_DIR;
  const spec = userDockerfile === null ? chooseBuildpack(dir, buildpacksDir, dockerfilePath) : null;
  const short = rev.sha.slice(0, 7);
  const how = spec ? `buildpack ${spec.name}` : dockerfilePath === 'Dockerfile' ? 'Dockerfile' : `Dockerfile (${dockerfilePath})`;
  opts.progress(`-----> Building ${rev.app} (${short}) with ${how}`);

  let buildpack: string | null = null;
  let dockerfile: string;
  let dockerfileText: string;
  if (spec === null) {
    dockerfile = dockerfilePath;
    dockerfileText = userDockerfile as string;
  } else {
    const base =
      spec.runtime === 'node'
        ? await nodeBaseImage(engineRange(readRepoFile(dir, 'package.json', 'package.json')), { docker: opts.docker, caFile: opts.config.buildCaFile, progress: opts.progress })
        : undefined;
    const bp = detectBuildpack(dir, buildpacksDir, { processes, ca, dockerfilePath, ...(base ? { base } : {}) });
    buildpack = bp.name;
    dockerfile = GENERATED_DOCKERFILE;
    dockerfileText = bp.dockerfile;
    inject[GENERATED_DOCKERFILE] = bp.dockerfile;
    for (const [name, file] of Object.entries(bp.files)) inject[name] = { file };
  }

  const declared = declaredArgs(dockerfileText);
  const buildargs = Object.fromEntries(Object.entries(opts.appConfig).filter(([k]) => declared.has(k)));
  if (ca && declared.has(CA_BUILD_ARG)) buildargs[CA_BUILD_ARG] = CA_FILE;

  await opts.checkBaseImages?.(baseImages(dockerfileText, buildargs), opts.progress);

  const tag = buildTag(rev.app, rev.sha);
  const labels: Record<string, string> = { [LABELS.app]: rev.app, [LABELS.sha]: rev.sha };
  if (opts.release !== undefined) labels[LABELS.release] = String(opts.release);
  const cachefrom = (await imagesLabelled(opts.docker, LABELS.app, rev.app)).slice(0, CACHE_IMAGES);

  const context = buildContext(dir, { dockerfile, inject });
  const log = new BuildLog(opts.progress);
  try {
    const messages = buildImage(opts.docker, context, { tag, dockerfile, labels, buildargs, cachefrom, ...(opts.signal ? { signal: opts.signal } : {}) });
    for await (const m of messages) log.push(m);
  } finally {
    context.destroy();
  }
  log.end();
  if (log.error !== null) {
    const from = log.currentStep === null ? null : fromImage(log.currentStep);
    if (from) throw await baseImageError(from, log.error, opts.baseImages);
    const message = log.failureMessage();
    throw isTransientMessage(log.error) ? new TransientError(message) : new UserError(message);
  }
  const info = await inspectImage(opts.docker, tag);
  if (!info) throw new TransientError(`build of ${rev.app} (${short}) finished but ${tag} is missing`);
  opts.progress(`-----> Built ${tag} (${info.id.replace(/^sha256:/, '').slice(0, 12)})`);
  return {
    app: rev.app,
    sha: rev.sha,
    imageId: info.id,
    buildpack,
    processes,
    appJson,
    compose,
    exposedPort: info.exposedPorts[0] ?? null,
    exposed: info.exposed,
  };
}

function firstCompose(dir: string): BuiltImage['compose'] {
  for (const file of COMPOSE_FILES) {
    const text = readRepoFile(dir, file, 'compose file');
    if (text !== null) return { file, text };
  }
  return null;
}

/** A repo-relative path that stays in the repo (the Dockerfile path is app config, i.e. user input). */
function safeRelative(p: string): string {
  const normal = path.posix.normalize(p.replace(/\\/g, '/')).replace(/^(\.\/)+/, '');
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../') || normal === '.' || normal === '') {
    throw new UserError(`Dockerfile path ${JSON.stringify(p)} must be a file path inside the repository`);
  }
  return normal;
}

