// Repository URLs and branch names that reach git's argv: hostile values are refused before git runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../src/errors.js';
import { classifyGitFailure } from '../../../src/source/fetch.js';
import { repoOrigin, validateBranch, validateRepoUrl } from '../../../src/source/repo-url.js';

const off = { allowFile: false };
const on = { allowFile: true };

test('https, ssh:// and scp-like URLs are accepted unchanged', () => {
  for (const url of [
    'https://github.com/acme/demo.git',
    'https://gitlab.example.com:8443/group/sub/demo',
    'ssh://git@github.com/acme/demo.git',
    'ssh://git@gitlab.example.com:2222/group/demo.git',
    'git@github.com:acme/demo.git',
    'github.com:acme/demo.git',
    'deploy_user@10.0.0.5:repos/demo.git',
  ])
    assert.equal(validateRepoUrl(url, off), url);
});

test('file:// repositories only when the administrator allows them (SLIPWAY_ALLOW_FILE_REPOS=1)', () => {
  assert.throws(() => validateRepoUrl('file:///srv/git/demo.git', off), /SLIPWAY_ALLOW_FILE_REPOS=1/);
  assert.equal(validateRepoUrl('file:///srv/git/demo.git', on), 'file:///srv/git/demo.git');
  assert.throws(() => validateRepoUrl('file://otherhost/srv/demo.git', on), /file:\/\/\/ABSOLUTE/);
  // A bare path is a local repository too, and is never accepted in that form.
  assert.throws(() => validateRepoUrl('/srv/git/demo.git', on), /local paths/);
  assert.throws(() => validateRepoUrl('../demo.git', on), /local paths/);
});

test('hostile URLs are refused with a UserError before any git runs', () => {
  const hostile = [
    '--upload-pack=touch /tmp/x',
    '--upload-pack=touch${IFS}/tmp/x',
    '-c core.sshCommand=touch /tmp/x',
    '-oProxyCommand=touch /tmp/x',
    'ext::sh -c touch% /tmp/x',
    'ext::sh',
    'fd::3',
    'fd::0,1/x',
    'EXT::sh -c id',
    'transport::https://github.com/acme/demo.git',
    'ssh://-oProxyCommand=touch%20/tmp/x/acme/demo',
    'ssh://-oProxyCommand=x@host/acme/demo',
    '-oProxyCommand=x@host:acme/demo',
    'git@-oProxyCommand=x:acme/demo',
    'git@host:-u/demo',
    'https://user:ghp_token@github.com/acme/demo.git',
    'https://ghp_token@github.com/acme/demo.git',
    'ssh://git:password@github.com/acme/demo.git',
    'http://github.com/acme/demo.git',
    'git://github.com/acme/demo.git',
    'ftp://example.com/demo.git',
    'https://github.com/acme/demo.git\n--upload-pack=x',
    'https://github.com/acme/demo.git\r\n',
    'https://github.com/acme/demo .git',
    'https://github.com/acme/\x00demo.git',
    'https://github.com/acme/demo\x7f.git',
    'https://github.com/',
    'https://',
    '',
    'a'.repeat(3000),
  ];
  for (const url of hostile) {
    assert.throws(
      () => validateRepoUrl(url, on),
      (e: unknown) => e instanceof UserError && e.status === 422,
      JSON.stringify(url),
    );
  }
  assert.throws(() => validateRepoUrl(undefined, on), UserError);
  assert.throws(() => validateRepoUrl(42, on), UserError);
});

test('refusals say what to use instead', () => {
  assert.throws(() => validateRepoUrl('http://example.com/a/b.git', off), /unencrypted.*https:\/\//);
  assert.throws(() => validateRepoUrl('https://u:p@example.com/a/b.git', off), /--token/);
  assert.throws(() => validateRepoUrl('ext::sh -c id', off), /remote helpers/);
});

test('ordinary branch names pass git check-ref-format', async () => {
  for (const b of ['main', 'master', 'feature/login', 'release-1.2', 'user/x_y', 'v1']) assert.equal(await validateBranch(b), b);
});

test('hostile or invalid branch names are refused', async () => {
  const bad = [
    '-x',
    '--upload-pack=touch /tmp/x',
    '-c',
    '--',
    'a..b',
    '../etc',
    'refs/../x',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[',
    'a\\b',
    'a.lock',
    'a/',
    '/a',
    'a//b',
    '.hidden',
    'a.',
    '@',
    '@{-1}',
    'x@{u}',
    'HEAD',
    'main\n',
    'ma\x00in',
    'x'.repeat(300),
    '',
  ];
  for (const b of bad) await assert.rejects(validateBranch(b), (e: unknown) => e instanceof UserError, JSON.stringify(b));
  await assert.rejects(validateBranch(undefined), UserError);
});

test('git failures: wrong URL/credential/ref are the user\'s; network trouble is transient', () => {
  const user = [
    "remote: Repository not found.\nfatal: repository 'https://github.com/a/b.git/' not found",
    "fatal: Authentication failed for 'https://github.com/a/b.git/'",
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    'git@github.com: Permission denied (publickey).',
    "fatal: '/tmp/nope' does not appear to be a git repository",
    'Host key verification failed.',
    "fatal: transport 'file' not allowed",
    'fatal: unable to access \'https://x/\': The requested URL returned error: 403',
  ];
  const transient = [
    "fatal: unable to access 'https://github.com/a/b.git/': Could not resolve host: github.com",
    "fatal: unable to access 'https://x/': Failed to connect to x port 443: Connection refused",
    'error: RPC failed; curl 56 GnuTLS recv error (-54)\nfatal: early EOF',
    'fatal: the remote end hung up unexpectedly',
    'block timeout reached',
    "fatal: unable to access 'https://x/': The requested URL returned error: 502",
  ];
  for (const m of user) assert.equal(classifyGitFailure(m), 'user', m);
  for (const m of transient) assert.equal(classifyGitFailure(m), 'transient', m);
});

test('repoOrigin: where a stored credential may go — scheme, host and port; scp-like is ssh on 22', () => {
  assert.equal(repoOrigin('https://GitHub.com/acme/demo.git'), 'https://github.com');
  assert.equal(repoOrigin('https://github.com:8443/acme/demo.git'), 'https://github.com:8443');
  assert.equal(repoOrigin('ssh://git@github.com:22/acme/demo.git'), 'ssh://github.com');
  assert.equal(repoOrigin('ssh://git@github.com:2222/acme/demo.git'), 'ssh://github.com:2222');
  assert.equal(repoOrigin('git@github.com:acme/demo.git'), 'ssh://github.com');
  assert.equal(repoOrigin('file:///srv/repo.git'), 'file://');
});
