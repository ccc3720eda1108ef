// The two kinds of failure the pipeline must tell apart (as BullMQ's UnrecoverableError does):
// a UserError is the user's to fix and is never retried; a TransientError may pass on retry.
export class UserError extends Error {
  override name = 'UserError';
  /** HTTP status the API answers with. */
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

export class NotFoundError extends UserError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super(message, 404);
  }
}

export class TransientError extends Error {
  override name = 'TransientError';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Not a failure: the deployment has nothing to do, because newer work covers it (an out-of-date
 *  or replayed webhook commit). It ends as superseded, its message saying why. */
export class Superseded extends Error {
  override name = 'Superseded';
}
