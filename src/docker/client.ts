// The Docker Engine connection (dockerode on Config.dockerSocket), Docker's JSON-lines progress
// stream reader, and the split of Engine failures into "retry" and "the user's to fix".
import Dockerode from 'dockerode';
import type { Config } from '../config.js';
import { TransientError, UserError } from '../errors.js';

/** One per process, made by the composition root and passed to whatever needs the engine. */
export function createDocker(config: Pick<Config, 'dockerSocket'>): Dockerode {
  return new Dockerode({ socketPath: config.dockerSocket });
}

/** One message of the Engine's build/push/pull progress stream. */
export interface JsonMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/**
 * Reads the Engine's newline-delimited JSON messages as they arrive (a chunk may hold part of
 * a message or several). Stream errors (an abort, a dropped socket) are thrown to the caller.
 */
export async function* jsonMessages(stream: AsyncIterable<Buffer | string>): AsyncGenerator<JsonMessage> {
  let pending = '';
  for await (const chunk of stream) {
    pending += chunk.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield parse(line);
    }
  }
  if (pending.trim()) yield parse(pending.trim());
}

function parse(line: string): JsonMessage {
  try {
    return JSON.parse(line) as JsonMessage;
  } catch {
    return { stream: line + '\n' };
  }
}

/** Failures of the machinery (Docker, the registry, the network), not of the user's code. */
const TRANSIENT = /connection refused|connection reset|i\/o timeout|TLS handshake timeout|no such host|timeout exceeded|unexpected EOF|503 Service Unavailable|502 Bad Gateway|toomanyrequests|no space left on device|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/i;

export function isTransientMessage(message: string): boolean {
  return TRANSIENT.test(message);
}

/**
 * Maps a dockerode error: the socket unreachable or a network-ish failure becomes a
 * TransientError; anything else keeps the Engine's own message (`json.message`).
 */
export function engineError(e: unknown, what: string, userInput = false): Error {
  const err = e as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } | null; reason?: string };
  if (err?.name === 'AbortError') return err;
  if (err?.code === 'ENOENT' || err?.code === 'ECONNREFUSED' || err?.code === 'EACCES' || err?.code === 'EPIPE' || err?.code === 'ECONNRESET') {
    return new TransientError(`${what}: cannot reach the Docker Engine (${err.code}); is dockerd running?`);
  }
  const message = err?.json?.message ?? err?.reason ?? err?.message ?? String(e);
  if (isTransientMessage(message)) return new TransientError(`${what}: ${message}`);
  // What the engine refuses about the user's image or command (no such image, bad command) is
  // the user's to fix; the OCI runtime reports a missing executable or bad working dir as a 500.
  const code = err?.statusCode;
  if (userInput && ((code !== undefined && code >= 400 && code < 500) || /executable file not found|no such file or directory|permission denied/.test(message)))
    return new UserError(`${what}: ${message}`);
  const out = new Error(`${what}: ${message}`, { cause: e }) as Error & { statusCode?: number };
  if (code) out.statusCode = code;
  return out;
}
