// Real git for tests: make a work tree from a fixture, commit, push to Slipway over HTTP.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Repo {
  dir: string;
  git(args: string[]): Promise<string>;
  commit(message: string, files?: Record<string, string>): Promise<string>;
  /** `git push`; never throws: returns exit code and all output (`remote:` lines are on stderr). */
  push(remoteUrl: string, ref?: string, extra?: string[]): Promise<{ code: number; output: string }>;
}

export async function repoFrom(fixtureDir: string | null, files: Record<string, string> = {}): Promise<Repo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-repo-'));
  if (fixtureDir) cpSync(fixtureDir, dir, { recursive: true });
  const git = async (args: string[]) =>
    (
      await run('git', args, {
        cwd: dir,
        env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_TERMINAL_PROMPT: '0' },
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout.trim();
  await git(['init', '-q', '-b', 'main']);
  const repo: Repo = {
    dir,
    git,
    async commit(message, more = {}) {
      for (const [f, text] of Object.entries(more)) writeFileSync(path.join(dir, f), text);
      await git(['add', '-A']);
      await git(['commit', '-q', '--allow-empty', '-m', message]);
      return git(['rev-parse', 'HEAD']);
    },
    async push(remoteUrl, ref = 'main', extra = []) {
      try {
        const { stdout, stderr } = await run('git', ['push', ...extra, remoteUrl, ref], {
          cwd: dir,
          env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
          maxBuffer: 64 * 1024 * 1024,
        });
        return { code: 0, output: stdout + stderr };
      } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code ?? 1, output: (err.stdout ?? '') + (err.stderr ?? '') };
      }
    },
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  return repo;
}

/** The push URL with the token as basic-auth password. */
export function pushUrl(serverUrl: string, token: string, app: string): string {
  const u = new URL(`/git/${app}.git`, serverUrl);
  u.username = 'slipway';
  u.password = token;
  return u.toString();
}
