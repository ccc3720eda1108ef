// The last resort for an error nothing caught. One client's connection failing (a reset, a
// write after it went away) is logged and the server keeps serving everyone else. Anything
// else may have left state half-changed, so the process exits and its supervisor starts it
// again; start-up reconciliation then repairs what a half-done deploy left.
import type { Logger } from '../log.js';

/** Errors that concern one socket or stream, never shared state. */
const CONNECTION_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_UNABLE_TO_PIPE',
  'ERR_HTTP_HEADERS_SENT',
]);

/** Whether the process may keep running after `e` reached the top uncaught. */
export function survivable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

export interface LastResortProcess {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (e: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', listener: (e: unknown) => void): unknown;
  exit(code: number): never | void;
}

/** Installs the policy on `proc` (the real process by default); returns a function removing it. */
export function installLastResort(logger: Logger, proc: LastResortProcess = process): () => void {
  const handle = (kind: string) => (e: unknown) => {
    const detail = { error: e instanceof Error ? e.message : String(e), code: (e as { code?: unknown } | null)?.code, stack: (e as Error | null)?.stack };
    if (survivable(e)) {
      logger.warn(`${kind} on one connection; still serving`, detail);
      return;
    }
    logger.error(`${kind}: exiting so the supervisor restarts Slipway`, detail);
    proc.exit(70); // EX_SOFTWARE
  };
  const onException = handle('uncaught exception');
  const onRejection = handle('unhandled rejection');
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
  };
}
