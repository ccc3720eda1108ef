// Docker Engine adapter for image builds: POST /build with a context stream, yielding the
// Engine's progress messages as they arrive.
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { UserError } from '../errors.js';
import { engineError, jsonMessages, type JsonMessage } from './client.js';

export interface ImageBuildOptions {
  /** `slipway/demo:build-0123456789ab` */
  tag: string;
  /** Dockerfile path inside the context. */
  dockerfile: string;
  labels: Record<string, string>;
  buildargs: Record<string, string>;
  /** Images whose layers may be reused (the legacy builder trusts only these when given). */
  cachefrom: string[];
  signal?: AbortSignal;
}

/**
 * Starts the build and yields every message. Build failures arrive as a message with `error`
 * (the caller turns them into a UserError with context); an Engine that refuses the request
 * up front (a Dockerfile parse error) throws a UserError; an unreachable one a TransientError.
 */
export async function* buildImage(docker: Dockerode, context: Readable, opts: ImageBuildOptions): AsyncGenerator<JsonMessage> {
  let res: NodeJS.ReadableStream;
  try {
    res = await docker.buildImage(context, {
      t: opts.tag,
      dockerfile: opts.dockerfile,
      labels: opts.labels,
      buildargs: opts.buildargs,
      cachefrom: JSON.stringify(opts.cachefrom),
      // Intermediate containers of a failed step are removed too.
      rm: true,
      forcerm: true,
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    });
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const err = engineError(e, 'docker build');
    if ((err as { statusCode?: number }).statusCode !== undefined) throw new UserError(err.message);
    throw err;
  }
  try {
    yield* jsonMessages(res as AsyncIterable<Buffer>);
  } catch (e) {
    // Dropping the request makes the Engine stop the build; say it was an abort, not a fault.
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw engineError(e, 'docker build');
  }
}
