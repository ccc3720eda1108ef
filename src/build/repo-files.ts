// The files Slipway itself reads from a repo (compose, app.json, env files, Procfile, Dockerfile,
// package.json for engines.node): each is parsed on the server's event loop, so each has a size
// cap, and a file too large is refused with its name and the cap instead of holding every other
// request up.
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { isInside } from './context.js';

export type RepoFileKind = 'compose file' | 'app.json' | 'env file' | 'Procfile' | 'Dockerfile' | 'package.json';

const KIB = 1024;
/** Generous for real files (a large compose file is tens of KiB), small enough to parse at once. */
export const REPO_FILE_LIMITS: Record<RepoFileKind, number> = {
  'compose file': 256 * KIB,
  'app.json': 256 * KIB,
  'env file': 256 * KIB,
  Procfile: 64 * KIB,
  Dockerfile: 1024 * KIB,
  'package.json': 256 * KIB,
};

export function formatBytes(n: number): string {
  return n >= 1024 * KIB ? `${(n / 1024 / KIB).toFixed(1)} MiB` : `${Math.ceil(n / KIB)} KiB`;
}

/**
 * A text file in the repo, or null when there is none. A symlink is followed only while it stays
 * in the tree, and a file over its kind's cap is refused (both UserErrors).
 */
export function readRepoFile(dir: string, rel: string, kind: RepoFileKind): string | null {
  const file = path.join(dir, rel);
  let real: string;
  let size: number;
  try {
    real = realpathSync.native(file);
    const st = statSync(real);
    if (!st.isFile()) return null;
    size = st.size;
  } catch {
    return null;
  }
  if (!isInside(realpathSync.native(dir), real)) throw new UserError(`${rel} is a symlink to a file outside the repository`);
  const limit = REPO_FILE_LIMITS[kind];
  if (size > limit) throw tooLarge(rel, kind, size);
  // Read at most one byte past the cap: a file that grew since stat is still refused, never read whole.
  const buf = Buffer.alloc(Math.min(size, limit) + 1);
  const fd = openSync(real, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n > limit) throw tooLarge(rel, kind, n);
  return buf.subarray(0, n).toString('utf8');
}

const article = (kind: RepoFileKind) => (/^[aeiou]/i.test(kind) ? 'an' : 'a');

function tooLarge(rel: string, kind: RepoFileKind, size: number): UserError {
  const limit = REPO_FILE_LIMITS[kind];
  return new UserError(
    `${rel} is ${formatBytes(size)}: Slipway reads at most ${formatBytes(limit)} of ${article(kind)} ${kind}. Make it smaller (keep data in files the image copies, not in ${rel}).`,
    413,
  );
}
