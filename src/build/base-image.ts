// A Dockerfile whose FROM image cannot be had: neither in Slipway's registry (Docker's mirror)
// nor reachable upstream — on a host without Docker Hub, any image nobody seeded or imported.
// The message names the image and both ways out.
import { TransientError, UserError } from '../errors.js';

/** What the build stage may ask about base images (the registry stage answers; injected). */
export interface BaseImageLookup {
  /** Seeded and imported images (`node:22-slim`…). */
  list(): Promise<string[]>;
  /** Whether the registry has this image (then a failed pull is the machinery's fault). */
  has(name: string): Promise<boolean>;
}

/** The image a `Step N/M : FROM …` line names, without `--platform=…` and `AS stage`. */
export function fromImage(step: string): string | null {
  const m = /^Step \d+\/\d+ : FROM\s+(.*)$/i.exec(step.trim());
  if (!m) return null;
  const words = (m[1] as string).split(/\s+/).filter((w) => !w.startsWith('--'));
  return words[0] ?? null;
}

/** The error for a build that failed at `FROM image` with the engine's `reason`. */
export async function baseImageError(image: string, reason: string, lookup: BaseImageLookup | undefined): Promise<Error> {
  if (lookup && (await lookup.has(image).catch(() => false)))
    return new TransientError(`pulling the base image ${image} from Slipway's registry failed: ${reason}`);
  const seeded = lookup ? await lookup.list().catch(() => [] as string[]) : [];
  const file = image.replace(/[^a-zA-Z0-9._-]+/g, '-');
  return new UserError(
    [
      `the base image ${image} (FROM ${image}) is neither in Slipway's registry nor reachable upstream (${reason}).`,
      `Import it: on a machine that has it, docker save ${image} -o ${file}.tar, then slipway images:import ${file}.tar — every later build finds it.`,
      seeded.length ? `Or use an image Slipway has (slipway images lists them with digests): ${seeded.join(', ')}.` : 'Or use one of the images slipway images lists.',
    ].join('\n'),
  );
}
