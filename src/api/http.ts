// Express plumbing shared by the routers: JSON errors with the right status, and the rule
// that an app name in a URL is checked before anything else reads it.
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { Writable } from 'node:stream';
import { DiskFullError, UserError, errorMessage, isDiskFull } from '../errors.js';
import type { Logger } from '../log.js';

/** Answers every error as JSON `{error}`: a UserError with its status, anything else 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string; expose?: boolean };
    let status = 500;
    let message = 'internal error; see the Slipway server log';
    if (err instanceof UserError) {
      status = err.status;
      message = err.message;
    } else if (isDiskFull(err)) {
      status = 507;
      message = new DiskFullError(`${req.method} ${req.path}`, err).message;
      logger.error('request failed: the disk is full', { method: req.method, path: req.path, error: errorMessage(err) });
    } else if (typeof (e.status ?? e.statusCode) === 'number' && e.expose !== false && (e.status ?? e.statusCode)! < 500) {
      // body-parser errors: malformed JSON (400), too large (413), bad charset (415)
      status = (e.status ?? e.statusCode)!;
      message = errorMessage(err);
    } else {
      logger.error('request failed', { method: req.method, path: req.path, error: errorMessage(err), stack: (err as Error)?.stack });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json({ error: message });
  };
}

export function notFound(req: Request, res: Response): void {
  res.status(404).json({ error: `no route ${req.method} ${req.path}` });
}

/** `express.json` errors speak body-parser; this turns a non-object body into a clear 400. */
export function body(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new UserError('request body must be a JSON object');
  return b as Record<string, unknown>;
}

export function stringField(b: Record<string, unknown>, key: string, required = true): string | undefined {
  const v = b[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new UserError(`missing field "${key}"`, 422);
    return undefined;
  }
  if (typeof v !== 'string') throw new UserError(`field "${key}" must be a string`, 422);
  return v;
}

/** Resolves when a streamed response can take more (or the client went away): a slow reader
 *  holds the stream back instead of the server buffering its output without bound. */
export function onceDrained(res: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done);
  });
}
