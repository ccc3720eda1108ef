// The build context: .dockerignore with Docker's root-anchored patterns, symlinks that leave
// the tree refused, Slipway's injected files, and nothing from .git.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { buildContext, contextEntries, contextIgnorer, symlinkProblem } from '../../../src/build/context.js';
import { UserError } from '../../../src/errors.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'slipway-context-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A repo from a spec: 'name' → contents, 'dir/' → folder, '@name' → symlink target. */
function repo(files: Record<string, string>): string {
  const dir = path.join(tmp, `r${n++}`);
  mkdirSync(dir);
  for (const [name, body] of Object.entries(files)) {
    if (name.endsWith('/')) mkdirSync(path.join(dir, name), { recursive: true });
    else if (name.startsWith('@')) {
      mkdirSync(path.dirname(path.join(dir, name.slice(1))), { recursive: true });
      symlinkSync(body, path.join(dir, name.slice(1)));
    } else {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), body);
    }
  }
  return dir;
}

async function tarEntries(stream: NodeJS.ReadableStream): Promise<Map<string, { type: string; body: string; uid: number }>> {
  const out = new Map<string, { type: string; body: string; uid: number }>();
  const extract = tar.extract();
  stream.pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.set(entry.header.name, { type: entry.header.type ?? 'file', body: Buffer.concat(chunks).toString(), uid: entry.header.uid ?? -1 });
  }
  return out;
}

const ignored = (dockerignore: string, rel: string, isDir = false, keep: string[] = []) => contextIgnorer(dockerignore, keep)(rel, isDir);

test('.dockerignore patterns are anchored at the root, as Docker reads them', () => {
  assert.equal(ignored('node_modules', 'node_modules', true), true);
  assert.equal(ignored('node_modules', 'node_modules/x/index.js'), true);
  assert.equal(ignored('node_modules', 'packages/a/node_modules', true), false);
  assert.equal(ignored('*.log', 'debug.log'), true);
  assert.equal(ignored('*.log', 'logs/debug.log'), false);
  assert.equal(ignored('*/temp*', 'a/temporary.txt'), true);
  assert.equal(ignored('*/temp*', 'temporary.txt'), false);
});

test('"**" matches any depth, "!" re-includes, leading "/" and "./" are the same as none', () => {
  assert.equal(ignored('**/*.log', 'a/b/c.log'), true);
  assert.equal(ignored('**/*.log', 'c.log'), true);
  assert.equal(ignored('*.md\n!README.md', 'README.md'), false);
  assert.equal(ignored('*.md\n!README.md', 'CHANGES.md'), true);
  assert.equal(ignored('/secret.txt', 'secret.txt'), true);
  assert.equal(ignored('./secret.txt', 'secret.txt'), true);
  assert.equal(ignored('secret.txt', 'sub/secret.txt'), false);
});

test('comments, blank lines and whitespace are ignored; a folder pattern with "/" matches only folders', () => {
  const rules = '# build output\n\n   dist/   \n';
  assert.equal(ignored(rules, 'dist', true), true);
  assert.equal(ignored(rules, 'dist', false), false);
  assert.equal(ignored(rules, '# build output'), false);
});

test('.git is never sent; the Dockerfile in use and .dockerignore are sent even when listed', () => {
  assert.equal(ignored('', '.git', true), true);
  assert.equal(ignored('', '.gitignore'), false);
  assert.equal(ignored('Dockerfile\n.dockerignore', 'Dockerfile', false, ['Dockerfile', '.dockerignore']), false);
  assert.equal(ignored('Dockerfile\n.dockerignore', '.dockerignore', false, ['Dockerfile', '.dockerignore']), false);
  assert.equal(ignored('*', 'docker/Dockerfile.prod', false, ['docker/Dockerfile.prod']), false);
});

test('a pattern that leaves the context ("../x") matches nothing', () => {
  assert.equal(ignored('../x', 'x'), false);
});

const root = '/srv/repo';
for (const [link, target, real, expected] of [
  ['lib', 'src/lib', null, null],
  ['a/b/up', '../../c', null, null],
  ['self', '.', null, null],
  ['abs', '/etc/passwd', null, /absolute path \(\/etc\/passwd\)/],
  ['abs-inside', '/srv/repo/x', null, /absolute path/],
  ['out', '../other', null, /outside the repository/],
  ['a/deep-out', '../../..', null, /outside the repository/],
  ['sneaky', 'a/../../x', null, /outside the repository/],
  ['via-link', 'd/..', '/srv', /resolves outside the repository/],
  ['fine-real', 'x', '/srv/repo/x', null],
] as const) {
  test(`symlink ${link} -> ${target} is ${expected ? 'refused' : 'allowed'}`, () => {
    const problem = symlinkProblem(root, link, target, real);
    if (expected === null) assert.equal(problem, null);
    else assert.match(problem ?? '', expected);
  });
}

test('walking a repo refuses a symlink out of the tree, naming it', () => {
  const dir = repo({ 'a.txt': 'a', '@config/passwd': '/etc/passwd' });
  assert.throws(() => contextEntries(dir, () => false), (e: unknown) => e instanceof UserError && /config\/passwd is a symlink to an absolute path/.test(e.message));
  const rel = repo({ 'a.txt': 'a', '@up': '../../' });
  assert.throws(() => contextEntries(rel, () => false), (e: unknown) => e instanceof UserError && /up is a symlink to \.\.\/\.\.\/, outside/.test(e.message));
});

test('links that combine to escape (d -> ., e -> d/..) are caught by resolving them', () => {
  const dir = repo({ '@d': '.', '@e': 'd/..' });
  assert.throws(() => contextEntries(dir, () => false), (e: unknown) => e instanceof UserError && /e is a symlink that resolves outside/.test(e.message));
});

test('symlinks inside the tree, dangling ones inside it, and ignored escaping ones are fine', () => {
  const dir = repo({ 'src/lib/x.js': '1', '@lib': 'src/lib', '@dangling': 'not-yet', '@secrets/host': '/etc', '.dockerignore': 'secrets' });
  const entries = contextEntries(dir, contextIgnorer('secrets'));
  assert.deepEqual(entries, ['.dockerignore', 'dangling', 'lib', 'src', 'src/lib', 'src/lib/x.js']);
});

test('the context tar honours .dockerignore, keeps symlinks as links, and owns files as root', async () => {
  const dir = repo({
    'server.js': 'x',
    'node_modules/big/index.js': 'big',
    'debug.log': 'log',
    'src/keep.log': 'kept: anchored pattern',
    '.git/config': 'secret',
    '.dockerignore': 'node_modules\n*.log\n',
    Dockerfile: 'FROM x',
    '@current': 'src',
  });
  const entries = await tarEntries(buildContext(dir, { dockerfile: 'Dockerfile' }));
  assert.deepEqual([...entries.keys()].sort(), ['.dockerignore', 'Dockerfile', 'current', 'server.js', 'src', 'src/keep.log']);
  assert.equal(entries.get('current')?.type, 'symlink');
  assert.equal(entries.get('server.js')?.uid, 0);
});

test('injected files (generated Dockerfile, CA bundle) are added and replace same-named repo files', async () => {
  const ca = path.join(repo({ 'ca.pem': 'CERT' }), 'ca.pem');
  const dir = repo({ 'index.html': 'hi', 'Dockerfile.slipway': 'FROM evil' });
  const entries = await tarEntries(
    buildContext(dir, { dockerfile: 'Dockerfile.slipway', inject: { 'Dockerfile.slipway': 'FROM node:18-slim', 'slipway-ca.crt': { file: ca } } }),
  );
  assert.equal(entries.get('Dockerfile.slipway')?.body, 'FROM node:18-slim');
  assert.equal(entries.get('slipway-ca.crt')?.body, 'CERT');
  assert.equal([...entries.keys()].filter((k) => k === 'Dockerfile.slipway').length, 1);
});

test('a configured CA file that is missing fails before the build, naming the file', () => {
  const dir = repo({ 'index.html': 'hi' });
  assert.throws(
    () => buildContext(dir, { dockerfile: 'Dockerfile', inject: { 'slipway-ca.crt': { file: '/nonexistent/ca.pem' } } }),
    (e: unknown) => e instanceof UserError && /\/nonexistent\/ca\.pem/.test(e.message),
  );
});

test('a context with an escaping symlink is refused before anything is sent', () => {
  const dir = repo({ 'index.html': 'hi', '@key': '/root/.ssh/id_rsa' });
  assert.throws(() => buildContext(dir, { dockerfile: 'Dockerfile' }), (e: unknown) => e instanceof UserError && /key is a symlink/.test(e.message));
});

test('modes in the context are git\'s 0644/0755 whatever the checkout umask was (a 0600 file would be unreadable to a non-root USER)', async () => {
  const dir = repo({ 'app.js': 'x', 'run.sh': '#!/bin/sh', 'lib/': '' });
  chmodSync(path.join(dir, 'app.js'), 0o600);
  chmodSync(path.join(dir, 'run.sh'), 0o700);
  chmodSync(path.join(dir, 'lib'), 0o700);
  const modes = new Map<string, number>();
  const extract = tar.extract();
  buildContext(dir, { dockerfile: 'Dockerfile' }).pipe(extract);
  for await (const entry of extract) {
    modes.set(entry.header.name.replace(/\/$/, ''), (entry.header.mode ?? 0) & 0o7777);
    entry.resume();
  }
  assert.equal(modes.get('app.js'), 0o644);
  assert.equal(modes.get('run.sh'), 0o755);
  assert.equal(modes.get('lib'), 0o755);
});
