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

/** The disk Slipway writes to is full (ENOSPC, or SQLite's SQLITE_FULL). */
export function isDiskFull(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | null;
  return err?.code === 'ENOSPC' || err?.code === 'SQLITE_FULL' || /no space left on device|database or disk is full/i.test(err?.message ?? '');
}

/**
 * A write failed because Slipway's own disk is full. Not retried (a retry in seconds meets the
 * same full disk); the message says what to do. The running release is untouched.
 */
export class DiskFullError extends UserError {
  override name = 'DiskFullError';
  constructor(what: string, cause: unknown, dataDir?: string) {
    super(
      `${what}: the disk is full (${errorMessage(cause).split('\n')[0]}). ` +
        `Free space${dataDir ? ` on the disk holding ${dataDir}` : ''} (old images: docker image prune; logs: SLIPWAY_LOG_RETENTION_MB), then deploy again.`,
      507,
    );
  }
}

/** Not a failure: the deployment has nothing to do, because newer work covers it (an out-of-date
 *  or replayed webhook commit). It ends as superseded, its message saying why. */
export class Superseded extends Error {
  override name = 'Superseded';
}
