// Fetching a connected app's commit: a bare mirror per app (clone once, then fetch --prune) and
// the exact commit checked out into a fresh directory for the build. The git adapter for
// remote repositories; only here and in repos.ts/git-http.ts does Slipway run git.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleGit, type SimpleGit, type SimpleGitOptions } from 'simple-git';
import { isValidAppName, type Progress, type SourceRevision } from '../domain.js';
import { Superseded, TransientError, UserError, errorMessage } from '../errors.js';
import { validateBranch, validateRepoUrl } from './repo-url.js';
import { credentialSecrets, redact, type RepoCredential } from './secrets.js';

export interface FetchRequest {
  mirrorsDir: string;
  app: string;
  repoUrl: string;
  branch: string;
  /** The pushed commit; without it, the branch head is deployed. */
  sha?: string;
  /**
   * With `sha`: deploy it only if it is still the branch head or descends from the commit that
   * serves now (`servingSha`); otherwise it is old — a replayed or late delivery — and the fetch
   * throws Superseded. A signature covers the body, not its delivery id, so a captured delivery
   * can be sent again; this keeps it from putting old code back.
   */
  current?: { servingSha: string | null };
  credential?: RepoCredential;
  progress: Progress;
  allowFile: boolean;
  /** Where the checkout directory is created (default: the OS temp dir). */
  workDir?: string;
  /** Kill git when it prints nothing for this long (default 120 s). */
  stallTimeoutMs?: number;
  /** Kills git when aborted (the deploy's deadline); the fetch then fails with the signal's reason. */
  signal?: AbortSignal;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Fetches the app's repository into its mirror and checks out one commit; the caller removes `dir`. */
export async function fetchRevision(req: FetchRequest): Promise<SourceRevision> {
  if (!isValidAppName(req.app)) throw new UserError(`invalid app name ${JSON.stringify(req.app)}`);
  const url = validateRepoUrl(req.repoUrl, { allowFile: req.allowFile });
  const branch = await validateBranch(req.branch);
  if (req.sha !== undefined && !SHA.test(req.sha)) throw new UserError(`commit ${JSON.stringify(req.sha.slice(0, 80))} is not a 40-hex sha`);
  const secrets = credentialSecrets(req.credential);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-fetch-'));
  let dir: string | undefined;
  try {
    const env = gitEnv(url, req, scratch);
    const mirror = await updateMirror(req, url, env, secrets);
    const git = gitAt(mirror, req, env);
    const sha = await resolve(git, url, branch, req.sha, secrets);
    if (req.sha && req.current) await checkCurrent(git, branch, sha, req.current.servingSha);
    dir = mkdtempSync(path.join(req.workDir ?? os.tmpdir(), `slipway-src-${req.app}-`));
    // A private index outside both the mirror and the tree: the mirror stays untouched (two
    // checkouts never share an index) and no index file lands in the build context.
    await git.env({ ...env, GIT_INDEX_FILE: path.join(scratch, 'index') }).raw(['--work-tree', dir, 'checkout', '--force', sha, '--', '.']);
    const message = (await git.raw(['log', '-1', '--format=%B', sha, '--'])).trim();
    req.progress(`Checked out ${sha.slice(0, 12)} (${branch})`);
    return { app: req.app, sha, ref: `refs/heads/${branch}`, dir, ...(message ? { message } : {}) };
  } catch (e) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (req.signal?.aborted) throw req.signal.reason;
    throw classify(e, url, secrets);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function updateMirror(req: FetchRequest, url: string, env: Record<string, string>, secrets: string[]): Promise<string> {
  mkdirSync(req.mirrorsDir, { recursive: true });
  const mirror = path.join(req.mirrorsDir, `${req.app}.git`);
  if (existsSync(path.join(mirror, 'HEAD'))) {
    const git = gitAt(mirror, req, env);
    // The app may have been reconnected to another URL since the mirror was made.
    const current = (await git.raw(['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
    if (current !== url) await git.raw(['remote', 'set-url', '--', 'origin', url]);
    req.progress(`Fetching ${redact(url, secrets)}`);
    await git.raw(['fetch', '--prune', '--progress', 'origin']);
    return mirror;
  }
  // Clone beside the final path and rename, so a failed first clone leaves no half mirror behind.
  const partial = mkdtempSync(`${mirror}.partial-`);
  try {
    req.progress(`Cloning ${redact(url, secrets)}`);
    await gitAt(req.mirrorsDir, req, env).raw(['clone', '--mirror', '--progress', '--', url, partial]);
    renameSync(partial, mirror);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return mirror;
}

/** The commit to deploy: the pushed sha when given (fetched on its own if no ref has it any
 *  more), else the branch head. */
async function resolve(git: SimpleGit, url: string, branch: string, sha: string | undefined, secrets: string[]): Promise<string> {
  const isCommit = async (rev: string) =>
    (await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]).catch(() => '')).trim();
  if (sha) {
    if (await isCommit(sha)) return sha;
    // Hosts that allow fetching a reachable sha (GitHub, GitLab) can still serve it.
    await git.raw(['fetch', '--quiet', 'origin', '--', sha]).catch(() => undefined);
    if (await isCommit(sha)) return sha;
    throw new UserError(`commit ${sha} is not in ${redact(url, secrets)} (was it force-pushed away?)`, 422);
  }
  const head = await isCommit(`refs/heads/${branch}`);
  if (!head) throw new UserError(`branch ${branch} does not exist in ${redact(url, secrets)}`, 422);
  return head;
}

/** Throws Superseded unless `sha` is the head of `branch` or descends from `servingSha`. */
async function checkCurrent(git: SimpleGit, branch: string, sha: string, servingSha: string | null): Promise<void> {
  const head = (await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/heads/${branch}^{commit}`]).catch(() => '')).trim();
  if (sha === head) return;
  // The serving commit is an ancestor of `sha` (or `sha` itself) when it is their merge base.
  // (Not `--is-ancestor`: it answers by exit code alone, which simple-git does not treat as an error.)
  const base = servingSha === null ? '' : (await git.raw(['merge-base', '--end-of-options', servingSha, sha]).catch(() => '')).trim();
  const descends = servingSha !== null && base === servingSha;
  if (descends) return;
  const now = head ? `now ${head.slice(0, 7)}` : 'gone';
  const serving = servingSha ? ` and does not descend from the serving commit ${servingSha.slice(0, 7)}` : '';
  throw new Superseded(`commit ${sha.slice(0, 7)} is no longer the head of ${branch} (${now})${serving}: an old or replayed delivery, not deployed`);
}

function gitAt(baseDir: string, req: FetchRequest, env: Record<string, string>): SimpleGit {
  let lastShown = '';
  const options: Partial<SimpleGitOptions> = {
    baseDir,
    // Only our own protocol whitelist: ext:: (runs programs) and file:// (reads the host) stay
    // off unless the administrator allowed local repositories.
    config: [
      'protocol.allow=never',
      'protocol.https.allow=always',
      'protocol.ssh.allow=always',
      `protocol.file.allow=${req.allowFile ? 'always' : 'never'}`,
      'protocol.ext.allow=never',
    ],
    // simple-git refuses these settings by default because a caller might pass them from user
    // input; here they are Slipway's own (protocol list above, auth env below), never the user's.
    unsafe: { allowUnsafeProtocolOverride: true, allowUnsafeConfigEnvCount: true, allowUnsafeSshCommand: true },
    timeout: { block: req.stallTimeoutMs ?? 120_000 },
    ...(req.signal ? { abort: req.signal } : {}),
    progress: ({ stage, progress }) => {
      // One line per stage and quarter: enough to show life without flooding a git push's output.
      const step = `${stage}:${Math.floor(progress / 25)}`;
      if (step === lastShown) return;
      lastShown = step;
      req.progress(`git: ${stage} ${progress}%`);
    },
  };
  return simpleGit(options).env(env);
}

/**
 * The whole environment git runs with: nothing inherited that could redirect it (GIT_DIR from a
 * hook, a pager, an editor). Credentials go through the environment, never the URL or argv:
 * a token as an http.extraHeader scoped to the repository's origin; a deploy key via ssh -i.
 */
function gitEnv(url: string, req: FetchRequest, scratch: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
  };
  const c = req.credential;
  if (c?.type === 'token') {
    if (!url.startsWith('https://')) throw new UserError('a token can only be used with an https:// repository URL; use an SSH deploy key for ssh URLs', 422);
    const basic = Buffer.from(`${c.username ?? 'x-access-token'}:${c.token}`).toString('base64');
    Object.assign(env, {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.${new URL(url).origin}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    });
  }
  const isSsh = url.startsWith('ssh://') || !/^[a-z]+:\/\//i.test(url);
  if (isSsh) {
    const knownHosts = path.join(req.mirrorsDir, 'known_hosts');
    const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${knownHosts}`];
    if (c?.type === 'ssh-key') {
      const keyFile = path.join(scratch, 'deploy-key');
      writeFileSync(keyFile, c.privateKey.endsWith('\n') ? c.privateKey : c.privateKey + '\n', { mode: 0o600 });
      ssh.push('-i', keyFile, '-o', 'IdentitiesOnly=yes');
    }
    // git runs GIT_SSH_COMMAND through sh; every word is ours (fixed options, temp paths), quoted.
    env.GIT_SSH_COMMAND = ssh.map(shellQuote).join(' ');
  }
  return env;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Network trouble is retried; a wrong URL, credential, branch or sha is the user's to fix. */
export function classifyGitFailure(message: string): 'user' | 'transient' {
  const user = [
    /authentication failed/i,
    /could not read (username|password)/i,
    /permission denied/i,
    /repository (.* )?not found/i,
    /does not appear to be a git repository/i,
    /host key verification failed/i,
    /returned error: 40[134]/i,
    /transport '.*' not allowed/i,
    /invalid refspec|bad revision|unknown revision|couldn't find remote ref/i,
  ];
  return user.some((re) => re.test(message)) ? 'user' : 'transient';
}

function classify(e: unknown, url: string, secrets: string[]): Error {
  if (e instanceof UserError || e instanceof TransientError || e instanceof Superseded) return e;
  const text = redact(errorMessage(e), secrets).trim().split('\n').slice(-6).join('\n');
  const where = redact(url, secrets);
  if (classifyGitFailure(text) === 'user')
    return new UserError(`could not fetch ${where}: ${text}\nCheck the repository URL and its token or deploy key (slipway apps:connect).`, 422);
  return new TransientError(`could not fetch ${where} (will retry): ${text}`);
}
