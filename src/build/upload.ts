// Unpacks an uploaded tar (`slipway deploy APP DIR`) into a fresh directory, refusing every
// entry that could write outside it: absolute paths, `..`, escaping links, devices.
import { constants, lstatSync, linkSync, mkdirSync, symlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { UserError } from '../errors.js';
import { contextEntries } from './context.js';

export interface UploadLimits {
  /** Total bytes of file contents (default 1 GiB). */
  maxBytes?: number;
  /** Number of entries (default 100,000). */
  maxEntries?: number;
}

/**
 * The entry's path relative to the destination, or the reason it is refused. Pure: the tests
 * feed it hostile names. Leading `./` is fine; absolute paths, `..` and NUL are not.
 */
export function checkEntryName(name: string): { rel: string } | { problem: string } {
  if (name.includes('\0')) return { problem: 'contains a NUL byte' };
  if (name.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(name) || name.startsWith('\\')) return { problem: 'is an absolute path' };
  const parts = name.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { problem: 'has a ".." component' };
  return { rel: parts.join('/') };
}

/** Whether a link at `rel` pointing to `target` stays inside the tree (symlinks resolve from their folder). */
export function checkLinkTarget(rel: string, target: string, kind: 'symlink' | 'link'): string | null {
  if (path.posix.isAbsolute(target) || target.includes('\0')) return `is a ${kind} to an absolute path (${target})`;
  const base = kind === 'symlink' ? path.posix.dirname(rel) : '';
  const resolved = path.posix.normalize(path.posix.join(base, target));
  if (resolved === '..' || resolved.startsWith('../')) return `is a ${kind} to ${target}, outside the upload`;
  return null;
}

/**
 * Extracts `stream` into `destDir` (created if missing). Only files, folders, symlinks and
 * hard links are accepted; nothing is ever written through a symlink, so a link made by an
 * earlier entry can't redirect a later one. Throws a UserError naming the first bad entry;
 * what was written before it stays in destDir for the caller to remove with the revision.
 */
export async function extractUpload(stream: Readable, destDir: string, limits: UploadLimits = {}): Promise<void> {
  const maxBytes = limits.maxBytes ?? 1024 ** 3;
  const maxEntries = limits.maxEntries ?? 100_000;
  const root = path.resolve(destDir);
  mkdirSync(root, { recursive: true });
  let bytes = 0;
  let count = 0;
  const extract = tar.extract();
  const refuse = (name: string, problem: string) => new UserError(`upload refused: entry ${JSON.stringify(name)} ${problem}`);

  /** Creates missing parent folders, refusing to pass through anything but real folders. */
  const parentOf = (name: string, rel: string): string => {
    let dir = root;
    for (const part of rel.split('/').slice(0, -1)) {
      dir = path.join(dir, part);
      const st = lstatOrNull(dir);
      if (st === null) mkdirSync(dir, { mode: 0o755 });
      else if (!st.isDirectory()) throw refuse(name, `would be written through ${path.relative(root, dir)}, which is not a folder`);
    }
    return path.join(root, rel);
  };

  const consume = async () => {
    for await (const entry of extract) {
      const { name, type } = entry.header;
      if (++count > maxEntries) throw new UserError(`upload refused: more than ${maxEntries} entries`);
      const checked = checkEntryName(name);
      if ('problem' in checked) throw refuse(name, checked.problem);
      const { rel } = checked;
      if (rel === '') {
        entry.resume();
        continue;
      }
      const target = parentOf(name, rel);
      const existing = lstatOrNull(target);
      if (existing?.isSymbolicLink()) throw refuse(name, 'would overwrite a symlink from an earlier entry');
      switch (type) {
        case 'directory':
          if (existing && !existing.isDirectory()) throw refuse(name, 'is a folder where a file already is');
          if (!existing) mkdirSync(target, { mode: 0o755 });
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file': {
          bytes += entry.header.size ?? 0;
          if (bytes > maxBytes) throw new UserError(`upload refused: more than ${maxBytes} bytes of files`);
          if (existing?.isDirectory()) throw refuse(name, 'is a file where a folder already is');
          // Executable bits survive (scripts); setuid/setgid/sticky and group/other write don't.
          const mode = (entry.header.mode ?? 0o644) & 0o755;
          // O_NOFOLLOW: never open through a symlink, even one raced in.
          const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
          const file = await open(target, flags, mode);
          await pipeline(entry, file.createWriteStream());
          break;
        }
        case 'symlink': {
          const linkname = entry.header.linkname ?? '';
          const problem = checkLinkTarget(rel, linkname, 'symlink');
          if (problem) throw refuse(name, problem);
          if (existing) throw refuse(name, 'is a symlink over an earlier entry');
          symlinkSync(linkname, target);
          entry.resume();
          break;
        }
        case 'link': {
          const linkname = entry.header.linkname ?? '';
          const problem = checkLinkTarget(rel, linkname, 'link');
          const source = checkEntryName(linkname);
          if (problem || 'problem' in source) throw refuse(name, problem ?? `is a hard link to ${linkname}, outside the upload`);
          const st = lstatOrNull(path.join(root, source.rel));
          if (!st?.isFile()) throw refuse(name, `is a hard link to ${linkname}, which is not a file earlier in the upload`);
          parentOf(linkname, source.rel); // its folders must be real folders too
          if (existing) throw refuse(name, 'is a hard link over an earlier entry');
          linkSync(path.join(root, source.rel), target);
          entry.resume();
          break;
        }
        default:
          throw refuse(name, `is a ${type ?? 'special file'}; only files, folders and links are accepted`);
      }
    }
  };
  await Promise.all([pipeline(stream, extract), consume()]).catch((e: unknown) => {
    stream.destroy();
    extract.destroy();
    throw e;
  });
  // Each link was checked where it stands, but links can combine (`d -> .` then `e -> d/..`):
  // resolve every one in the finished tree.
  contextEntries(root, () => false, 'upload refused');
}

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
