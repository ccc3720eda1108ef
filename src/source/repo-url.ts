// Which repository URLs and branch names Slipway will hand to git. Both come from users (the
// connect command, webhook payloads) and end up in git's argv, so anything git could read as an
// option, a transport helper or a local path is refused here, before any git runs.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { UserError } from '../errors.js';

const run = promisify(execFile);

const ACCEPTED = 'use https://HOST/PATH, ssh://[USER@]HOST[:PORT]/PATH or USER@HOST:PATH';

function refuse(url: string, why: string): never {
  throw new UserError(`repository URL ${JSON.stringify(url.slice(0, 200))} refused: ${why}`, 422);
}

/**
 * Returns the URL to store and fetch, or throws UserError(422) saying what to use instead.
 * Plain `http://` and `git://` are refused: the fetched code is built and run, and a token sent
 * with it would travel in clear, so anyone on the path could change what gets deployed.
 */
export function validateRepoUrl(url: unknown, opts: { allowFile: boolean }): string {
  if (typeof url !== 'string' || url.length === 0) throw new UserError(`a repository URL is required: ${ACCEPTED}`, 422);
  if (url.length > 2048) refuse(url, 'longer than 2048 characters');
  // `ext::sh -c …`, `fd::3`: git's remote-helper syntax runs programs; never accepted.
  if (/^[A-Za-z0-9+.-]*::/.test(url)) refuse(url, `"TRANSPORT::ADDRESS" remote helpers are not allowed; ${ACCEPTED}`);
  if (/[\x00-\x20\x7f]/.test(url)) refuse(url, 'contains spaces, newlines or control characters');
  if (url.startsWith('-')) refuse(url, 'starts with "-", which git would read as an option');

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return scpLike(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    refuse(url, `not a valid URL; ${ACCEPTED}`);
  }
  switch (scheme) {
    case 'https':
      if (u.username || u.password) refuse(url, 'has credentials in it; connect with --token instead, which is stored encrypted');
      checkHost(url, u.hostname);
      if (u.pathname.length <= 1) refuse(url, 'has no repository path');
      return url;
    case 'ssh':
      if (u.password) refuse(url, 'has a password in it; connect with an SSH deploy key instead');
      if (u.username.startsWith('-')) refuse(url, 'user name starts with "-"');
      checkHost(url, u.hostname);
      if (u.pathname.length <= 1) refuse(url, 'has no repository path');
      return url;
    case 'file':
      if (!opts.allowFile) refuse(url, 'local repositories are disabled; the administrator can allow them with SLIPWAY_ALLOW_FILE_REPOS=1');
      if (u.host !== '') refuse(url, 'file:// URLs must be file:///ABSOLUTE/PATH');
      if (u.pathname.length <= 1) refuse(url, 'has no repository path');
      return url;
    case 'http':
    case 'git':
      refuse(url, `${scheme}:// is unencrypted (anyone on the network could change the code you deploy); ${ACCEPTED}`);
    // falls through: refuse never returns
    default:
      refuse(url, `${scheme}:// is not supported; ${ACCEPTED}`);
  }
}

/** `git@github.com:acme/demo.git` — git's scp-like syntax, which it uses when there is a colon
 *  before any slash. Anything else without a scheme is a local path, refused. */
function scpLike(url: string): string {
  const m = /^(?:([^@/:]+)@)?([^@/:]+):(.+)$/.exec(url);
  if (!m) refuse(url, `local paths are not allowed (use file:///PATH when enabled); ${ACCEPTED}`);
  const [, user, host, repoPath] = m as unknown as [string, string | undefined, string, string];
  if (user !== undefined && (user.startsWith('-') || !/^[A-Za-z0-9._-]+$/.test(user))) refuse(url, 'invalid user name');
  checkHost(url, host);
  if (repoPath.startsWith('-')) refuse(url, 'repository path starts with "-"');
  if (repoPath.startsWith('//')) refuse(url, `not a valid URL; ${ACCEPTED}`);
  return url;
}

/**
 * Where a stored credential may be sent: scheme (ssh for git's scp-like form), host and port of
 * an already validated URL, e.g. `https://github.com`, `ssh://git.example.com:2222`.
 */
export function repoOrigin(url: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const host = /^(?:[^@/:]+@)?([^@/:]+):/.exec(url)?.[1] ?? '';
    return `ssh://${host.toLowerCase()}`;
  }
  const u = new URL(url);
  const port = u.port && !(scheme === 'ssh' && u.port === '22') ? `:${u.port}` : '';
  return `${scheme}://${u.hostname.toLowerCase()}${port}`;
}

function checkHost(url: string, host: string): void {
  // `ssh -oProxyCommand=…` (CVE-2017-1000117): a host starting with "-" becomes an ssh option.
  if (!host || host.startsWith('-') || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$/.test(host)) refuse(url, 'invalid host name');
}

/** Branch names: refused when git would read them as an option or when git itself refuses. */
export async function validateBranch(name: unknown): Promise<string> {
  if (typeof name !== 'string' || name.length === 0) throw new UserError('a branch name is required', 422);
  const shown = JSON.stringify(name.slice(0, 200));
  if (name.length > 255) throw new UserError(`branch name ${shown} is longer than 255 characters`, 422);
  if (/[\x00-\x20\x7f]/.test(name)) throw new UserError(`branch name ${shown} refused: contains spaces or control characters`, 422);
  if (name.startsWith('-')) throw new UserError(`branch name ${shown} refused: starts with "-"`, 422);
  // `--branch` expands `@{-1}` against whatever repository the cwd is in, so that is refused
  // first; it takes no `--`, which is why a leading "-" is refused above.
  if (name.includes('@{') || name === '@' || name === 'HEAD') throw new UserError(`branch name ${shown} is not a valid branch name`, 422);
  let out: string;
  try {
    out = (await run('git', ['check-ref-format', '--branch', name], { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })).stdout;
  } catch (e) {
    if ((e as { code?: unknown }).code === 128) throw new UserError(`branch name ${shown} is not a valid branch name (git check-ref-format)`, 422);
    throw e;
  }
  if (out.trim() !== name) throw new UserError(`branch name ${shown} is not a valid branch name`, 422);
  return name;
}
