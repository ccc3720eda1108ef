// Source stage against real git and a fake repository host: fetchRevision mirrors a real bare
// repository over file:// and checks out exactly the pushed commit (force pushes included);
// commit statuses go to a local HTTP server standing in for GitHub/GitLab, which tests cannot reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TransientError, UserError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { reportStatus } from '../../src/source/commit-status.js';
import { fetchRevision, type FetchRequest } from '../../src/source/fetch.js';
import { repoFrom, type Repo } from '../helpers/git.js';
import { fakeStatusApi } from '../helpers/webhooks.js';

const run = promisify(execFile);

interface Remote {
  work: Repo;
  url: string;
  base: string;
  req(over?: Partial<FetchRequest>): FetchRequest;
  lines: string[];
}

async function remote(t: { after(fn: () => void | Promise<void>): void }): Promise<Remote> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'slipway-fetch-test-'));
  const bare = path.join(base, 'origin.git');
  await run('git', ['init', '--bare', '-q', '-b', 'main', bare]);
  const work = await repoFrom(null, { 'app.txt': 'one\n' });
  t.after(() => {
    rmSync(base, { recursive: true, force: true });
    rmSync(work.dir, { recursive: true, force: true });
  });
  const lines: string[] = [];
  const app = `fetch-${process.pid}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  const url = `file://${bare}`;
  return {
    work,
    url,
    base,
    lines,
    req: (over = {}) => ({
      mirrorsDir: path.join(base, 'mirrors'),
      app,
      repoUrl: url,
      branch: 'main',
      progress: (l) => lines.push(l),
      allowFile: true,
      workDir: base,
      ...over,
    }),
  };
}

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');

test('the pushed commit is checked out exactly — not the branch head — from a mirror made once and fetched after', async (t) => {
  const r = await remote(t);
  const a = await r.work.commit('first', { 'app.txt': 'one\n' });
  assert.equal((await r.work.push(r.url, 'main')).code, 0);
  const revA = await fetchRevision(r.req({ sha: a }));
  assert.deepEqual([revA.sha, revA.ref, revA.message, revA.app], [a, 'refs/heads/main', 'first', r.req().app]);
  assert.equal(read(revA.dir, 'app.txt'), 'one\n');
  assert.ok(!existsSync(path.join(revA.dir, '.git')), 'no git metadata in the build context');
  assert.ok(r.lines.some((l) => l.startsWith('Cloning ')));

  const b = await r.work.commit('second', { 'app.txt': 'two\n', 'new.txt': 'new\n' });
  assert.equal((await r.work.push(r.url, 'main')).code, 0);
  // A webhook for A delivered late still deploys A, even though main is now B.
  const late = await fetchRevision(r.req({ sha: a }));
  assert.equal(read(late.dir, 'app.txt'), 'one\n');
  assert.ok(!existsSync(path.join(late.dir, 'new.txt')));
  const revB = await fetchRevision(r.req({ sha: b }));
  assert.equal(read(revB.dir, 'app.txt'), 'two\n');
  assert.equal(read(revB.dir, 'new.txt'), 'new\n');
  const head = await fetchRevision(r.req());
  assert.equal(head.sha, b);
  assert.ok(r.lines.some((l) => l.startsWith('Fetching ')));
  assert.equal(readdirSync(r.req().mirrorsDir).filter((f) => f.endsWith('.git')).length, 1, 'one mirror per app');
  assert.equal(new Set([revA, late, revB, head].map((rev) => rev.dir)).size, 4, 'each revision gets a fresh directory');
});

test('after a force push the rewritten commit deploys and the branch head follows it', async (t) => {
  const r = await remote(t);
  await r.work.commit('base', { 'app.txt': 'base\n' });
  const old = await r.work.commit('to be rewritten', { 'app.txt': 'old\n' });
  await r.work.push(r.url, 'main');
  assert.equal((await fetchRevision(r.req({ sha: old }))).sha, old);

  await r.work.git(['reset', '-q', '--hard', 'HEAD~1']);
  const rewritten = await r.work.commit('rewritten', { 'app.txt': 'rewritten\n' });
  assert.equal((await r.work.push(r.url, 'main', ['--force'])).code, 0);
  const rev = await fetchRevision(r.req({ sha: rewritten }));
  assert.equal(read(rev.dir, 'app.txt'), 'rewritten\n');
  const head = await fetchRevision(r.req());
  assert.equal(head.sha, rewritten);
  assert.equal(head.message, 'rewritten');
});

test('an unknown sha or branch is a UserError and leaves no checkout directory behind', async (t) => {
  const r = await remote(t);
  await r.work.commit('only');
  await r.work.push(r.url, 'main');
  const before = readdirSync(r.base).length;
  await assert.rejects(fetchRevision(r.req({ sha: 'f'.repeat(40) })), (e: unknown) => e instanceof UserError && /not in/.test(e.message));
  await assert.rejects(fetchRevision(r.req({ branch: 'nope' })), (e: unknown) => e instanceof UserError && /branch nope does not exist/.test(e.message));
  await assert.rejects(fetchRevision(r.req({ sha: 'HEAD' })), UserError);
  assert.equal(readdirSync(r.base).length, before + 1, 'only the mirrors dir was added');
});

test('hostile branch names and URLs never reach git: no command runs, no marker file appears', async (t) => {
  const r = await remote(t);
  await r.work.commit('only');
  await r.work.push(r.url, 'main');
  const marker = path.join(r.base, 'pwned');
  for (const branch of [`--upload-pack=touch ${marker}`, '-c core.sshCommand=touch', 'a..b', '@{-1}'])
    await assert.rejects(fetchRevision(r.req({ branch })), UserError, branch);
  for (const repoUrl of [`--upload-pack=touch ${marker}`, `ext::sh -c touch% ${marker}`, `fd::3`, `-c core.sshCommand=touch ${marker}`])
    await assert.rejects(fetchRevision(r.req({ repoUrl })), UserError, repoUrl);
  assert.ok(!existsSync(marker));
  assert.ok(!existsSync(r.req().mirrorsDir), 'nothing was cloned');
});

test('file:// is refused unless allowed, before any git runs', async (t) => {
  const r = await remote(t);
  await assert.rejects(fetchRevision(r.req({ allowFile: false })), /SLIPWAY_ALLOW_FILE_REPOS=1/);
  assert.ok(!existsSync(r.req().mirrorsDir));
});

test('a missing repository is a UserError; an unreachable host is a TransientError that never shows the token', async (t) => {
  const r = await remote(t);
  await assert.rejects(
    fetchRevision(r.req({ repoUrl: `file://${path.join(r.base, 'missing.git')}` })),
    (e: unknown) => e instanceof UserError && /does not appear to be a git repository/.test(e.message),
  );
  const token = 'ghp_DoNotLeakThisToken123';
  await assert.rejects(
    fetchRevision(r.req({ repoUrl: 'https://127.0.0.1:1/acme/demo.git', credential: { type: 'token', token } })),
    (e: unknown) => e instanceof TransientError && !e.message.includes(token) && /will retry/.test(e.message),
  );
  assert.ok(!r.lines.join('\n').includes(token));
  // A failed first clone leaves no half mirror to confuse the next attempt.
  assert.deepEqual(readdirSync(r.req().mirrorsDir).filter((f) => f.includes('.git')), []);
});

test('an SSH deploy key is used for ssh URLs and never appears in errors; an unreachable host is transient', async (t) => {
  const r = await remote(t);
  const privateKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nNOTAREALKEYbutSECRETmaterial\n-----END OPENSSH PRIVATE KEY-----';
  await assert.rejects(
    fetchRevision(r.req({ repoUrl: 'ssh://git@127.0.0.1:1/acme/demo.git', credential: { type: 'ssh-key', privateKey } })),
    (e: unknown) => e instanceof TransientError && /Connection refused/.test(e.message) && !e.message.includes('SECRETmaterial'),
  );
});

test('a token is refused with a non-https URL rather than sent in clear', async (t) => {
  const r = await remote(t);
  await r.work.commit('only');
  await r.work.push(r.url, 'main');
  await assert.rejects(fetchRevision(r.req({ credential: { type: 'token', token: 'secret-token' } })), /only be used with an https/);
});

async function fakeHost(t: { after(fn: () => void | Promise<void>): void }, status = 201) {
  const api = await fakeStatusApi(status);
  t.after(() => api.close());
  return api;
}

const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';

test('commit statuses reach the GitHub and GitLab APIs as documented (local fake host)', async (t) => {
  const host = await fakeHost(t);
  const common = { sha: SHA, token: 'T', description: 'Deployed v3', targetUrl: 'http://demo.localhost', logger: silentLogger(), apiBase: host.base };
  assert.equal(await reportStatus({ ...common, provider: 'github', repoUrl: 'https://github.com/acme/demo.git', state: 'success' }), true);
  assert.equal(await reportStatus({ ...common, provider: 'gitlab', repoUrl: 'https://gitlab.com/group/demo.git', state: 'failure' }), true);
  const [gh, gl] = host.seen;
  assert.deepEqual([gh!.method, gh!.url, gh!.headers.authorization], ['POST', `/repos/acme/demo/statuses/${SHA}`, 'Bearer T']);
  assert.deepEqual(gh!.body, { state: 'success', context: 'slipway', description: 'Deployed v3', target_url: 'http://demo.localhost' });
  assert.deepEqual([gl!.url, gl!.headers['private-token'], gl!.body.state], [`/projects/group%2Fdemo/statuses/${SHA}`, 'T', 'failed']);
});

test('a failing or unreachable status API is logged and never throws', async (t) => {
  const host = await fakeHost(t, 500);
  const common = { sha: SHA, token: 'T', description: 'x', logger: silentLogger(), provider: 'github' as const, repoUrl: 'https://github.com/a/b.git', state: 'pending' as const };
  assert.equal(await reportStatus({ ...common, apiBase: host.base }), false);
  assert.equal(await reportStatus({ ...common, apiBase: 'http://127.0.0.1:1' }), false);
  assert.equal(await reportStatus({ ...common, repoUrl: 'not a url' }), false);
});
