// The Docker build context of a revision: a tar stream of its tree, minus .dockerignore'd
// paths, refusing symlinks that point out of the tree, plus Slipway's injected files.
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import ignore from 'ignore';
import tarFs from 'tar-fs';
import { UserError } from '../errors.js';

/** Paths never sent: git's own data is not part of the app, and can hold secrets. */
const ALWAYS_IGNORED = ['.git'];

export interface ContextOptions {
  /** Context path of the Dockerfile in use: sent even when .dockerignore lists it (as Docker does). */
  dockerfile: string;
  /** Extra files: context path → contents, or `{ file }` to read from disk. Replace same-named repo files. */
  inject?: Record<string, string | Buffer | { file: string }>;
}

/**
 * Turns .dockerignore into a matcher. Docker anchors every pattern at the context root (Go's
 * filepath.Match, `**` for any depth), where gitignore lets a slash-less pattern match at any
 * depth; so each pattern is anchored with a leading `/` before the `ignore` package reads it.
 * Known difference: `!` cannot re-include a file inside an excluded folder (gitignore's rule).
 */
export function contextIgnorer(dockerignore: string | null, keep: string[] = []): (rel: string, isDir: boolean) => boolean {
  const ig = ignore().add(ALWAYS_IGNORED.map((p) => `/${p}`));
  for (const raw of (dockerignore ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const cleaned = path.posix.normalize(negate ? line.slice(1).trim() : line).replace(/^(\.?\/)+/, '');
    if (cleaned === '' || cleaned === '.' || cleaned.startsWith('../')) continue;
    ig.add(`${negate ? '!' : ''}/${cleaned}`);
  }
  const kept = new Set(keep.map((k) => path.posix.normalize(k)));
  return (rel, isDir) => !kept.has(rel) && ig.ignores(isDir ? `${rel}/` : rel);
}

/**
 * Why a symlink at `linkRel` (inside `realRoot`) is refused, or null when it stays inside.
 * Absolute targets are refused outright: inside the image they would point elsewhere anyway.
 */
export function symlinkProblem(realRoot: string, linkRel: string, target: string, realTarget: string | null): string | null {
  if (path.isAbsolute(target)) return `${linkRel} is a symlink to an absolute path (${target})`;
  const lexical = path.resolve(realRoot, path.dirname(linkRel), target);
  if (!isInside(realRoot, lexical)) return `${linkRel} is a symlink to ${target}, outside the repository`;
  if (realTarget !== null && !isInside(realRoot, realTarget)) {
    return `${linkRel} is a symlink that resolves outside the repository (through ${target})`;
  }
  return null;
}

export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Walks the tree without following symlinks; returns the context paths to send, in order.
 * Throws a UserError naming the first symlink that leaves the tree (ignored paths are skipped,
 * so a .dockerignore'd link is no problem).
 */
export function contextEntries(dir: string, isIgnored: (rel: string, isDir: boolean) => boolean, what = 'build context'): string[] {
  const realRoot = realpathSync.native(dir);
  const out: string[] = [];
  const walk = (relDir: string) => {
    const entries = readdirSync(path.join(dir, relDir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (isIgnored(rel, e.isDirectory())) continue;
      if (e.isSymbolicLink()) {
        const target = readlinkSync(path.join(dir, rel));
        let real: string | null = null;
        try {
          // .native: Node's JS realpath collapses `d/..` lexically before resolving `d`.
          real = realpathSync.native(path.join(dir, rel));
        } catch {
          /* dangling: the lexical check decides */
        }
        const problem = symlinkProblem(realRoot, rel, target, real);
        if (problem) throw new UserError(`${what}: ${problem}; make it a relative link inside the repository, or list it in .dockerignore`);
      }
      if (e.isSocket() || e.isFIFO() || e.isBlockDevice() || e.isCharacterDevice()) continue;
      out.push(rel);
      if (e.isDirectory()) walk(rel);
    }
  };
  walk('');
  return out;
}

/** The build context tar stream for `dir` (streamed from disk, never held in memory). */
export function buildContext(dir: string, opts: ContextOptions): Readable {
  const inject = opts.inject ?? {};
  let dockerignore: string | null = null;
  try {
    dockerignore = readFileSync(path.join(dir, '.dockerignore'), 'utf8');
  } catch {
    /* none */
  }
  const ignoreRule = contextIgnorer(dockerignore, [opts.dockerfile, '.dockerignore']);
  const injected = new Set(Object.keys(inject));
  const entries = contextEntries(dir, (rel, isDir) => injected.has(rel) || ignoreRule(rel, isDir));
  // Bodies of injected files are read now so a missing CA file fails before the build starts.
  const extra = Object.entries(inject).map(([name, body]) => {
    if (typeof body === 'string' || Buffer.isBuffer(body)) return { name, body: Buffer.from(body) };
    try {
      return { name, body: readFileSync(body.file) };
    } catch (e) {
      throw new UserError(`cannot read ${body.file} for the build context (${name}): ${(e as Error).message}`);
    }
  });
  return tarFs.pack(dir, {
    entries,
    // The walk above chose every entry; tar-fs must not descend on its own.
    ignore: () => true,
    // The checkout's owner is noise: identical trees give identical contexts (Docker's cache ignores mtime).
    // So are its modes beyond git's own two (0644, 0755): Slipway checks code out under umask 077,
    // and a 0600 file in the image is unreadable to an app that runs as a non-root USER.
    map: (header) => ({ ...header, mode: contextMode(header.type, header.mode), uid: 0, gid: 0, uname: 'root', gname: 'root' }),
    finalize: false,
    finish: (pack) => {
      for (const { name, body } of extra) pack.entry({ name, mode: 0o644, size: body.length, uid: 0, gid: 0 }, body);
      pack.finalize();
    },
  }) as unknown as Readable;
}

/** The mode a context entry gets: what git records (executable or not), whatever the umask was. */
export function contextMode(type: string, mode: number): number {
  if (type === 'directory') return 0o755;
  if (type === 'file') return mode & 0o111 ? 0o755 : 0o644;
  return mode;
}
