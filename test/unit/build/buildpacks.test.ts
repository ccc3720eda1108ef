// Buildpack detection and the Dockerfiles the shipped buildpacks render.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEFAULT_BUILDPACKS_DIR, describeBuildpacks, detectBuildpack, loadBuildpacks, matchBuildpack,
} from '../../../src/build/buildpacks.js';
import { UserError } from '../../../src/errors.js';

const specs = loadBuildpacks(DEFAULT_BUILDPACKS_DIR);
const match = (...files: string[]) => matchBuildpack(files, specs)?.name ?? null;
const tmp = mkdtempSync(path.join(tmpdir(), 'slipway-buildpacks-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function repo(files: Record<string, string>): string {
  const dir = path.join(tmp, String(n++));
  mkdirSync(dir);
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, name), body);
  return dir;
}

test('the shipped buildpacks load in detection order: node, python, static, procfile', () => {
  assert.deepEqual(specs.map((s) => s.name), ['node', 'python', 'static', 'procfile']);
});

test('package.json means node, even next to index.html or a Procfile', () => {
  assert.equal(match('package.json'), 'node');
  assert.equal(match('package.json', 'index.html', 'Procfile'), 'node');
});

test('python: requirements.txt, or a Procfile with *.py files', () => {
  assert.equal(match('requirements.txt'), 'python');
  assert.equal(match('Procfile', 'app.py'), 'python');
  assert.equal(match('Procfile', 'app.py', 'index.html'), 'python');
  assert.equal(match('app.py'), null);
});

test('index.html alone means a static site', () => {
  assert.equal(match('index.html', 'style.css'), 'static');
});

test('a Procfile alone falls back to the procfile buildpack', () => {
  assert.equal(match('Procfile', 'run.sh'), 'procfile');
});

test('nothing recognisable matches nothing; names are exact (no partial or nested matches)', () => {
  assert.equal(match('README.md'), null);
  assert.equal(match('package.json.bak', 'myindex.html', 'requirements.txt.old'), null);
  assert.equal(match(), null);
});

test('the no-match message lists every buildpack and what it looks for', () => {
  assert.equal(
    describeBuildpacks(specs),
    'node (package.json), python (requirements.txt, Procfile + *.py), static (index.html), procfile (Procfile)',
  );
  const dir = repo({ 'README.md': '# hi' });
  assert.throws(
    () => detectBuildpack(dir, DEFAULT_BUILDPACKS_DIR),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.startsWith('no Dockerfile at Dockerfile, and no buildpack matched: node (package.json), python (') &&
      e.message.includes('procfile (Procfile)'),
  );
});

test('node with a lockfile: package*.json copied first, then npm ci, then the code, started by the Procfile web', () => {
  const dir = repo({ 'package.json': '{}', 'package-lock.json': '{}', Procfile: 'web: node server.js' });
  const bp = detectBuildpack(dir, DEFAULT_BUILDPACKS_DIR, { processes: { web: 'node server.js' } });
  assert.equal(bp.name, 'node');
  const lines = bp.dockerfile.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.equal(lines[at(/^FROM /)], 'FROM node:24-slim', 'the current LTS when nothing else is asked for');
  assert.ok(at(/^COPY package\*\.json \.\/$/) < at(/^RUN npm ci /));
  assert.ok(at(/^RUN npm ci /) < at(/^COPY \. \.$/));
  assert.equal(at(/npm install/), -1);
  assert.ok(lines.includes('EXPOSE 5000'));
  assert.match(bp.dockerfile, /ENV .*PORT=5000/);
  assert.ok(lines.includes('CMD ["sh","-c","exec node server.js"]'));
  assert.doesNotMatch(bp.dockerfile, /^#(if|else|endif)/m);
  assert.doesNotMatch(bp.dockerfile, /slipway-ca\.crt/);
});

test('node without a lockfile uses npm install --omit=dev and starts with npm start', () => {
  const bp = detectBuildpack(repo({ 'package.json': '{}' }), DEFAULT_BUILDPACKS_DIR);
  assert.match(bp.dockerfile, /^RUN npm install --omit=dev/m);
  assert.doesNotMatch(bp.dockerfile, /npm ci/);
  assert.match(bp.dockerfile, /^CMD \["sh","-c","exec npm start"\]$/m);
});

test('with a CA bundle, the node build trusts it for npm, Node and OpenSSL before installing', () => {
  const bp = detectBuildpack(repo({ 'package.json': '{}' }), DEFAULT_BUILDPACKS_DIR, { ca: true });
  const copy = bp.dockerfile.indexOf('COPY slipway-ca.crt /usr/local/share/ca-certificates/');
  assert.ok(copy > 0 && copy < bp.dockerfile.indexOf('npm install'));
  for (const v of ['NODE_EXTRA_CA_CERTS=', 'npm_config_cafile=', 'SSL_CERT_FILE=']) assert.ok(bp.dockerfile.includes(v), v);
});

test('python installs requirements.txt before copying the code, and trusts the CA bundle for pip', () => {
  const bp = detectBuildpack(repo({ 'requirements.txt': 'flask', Procfile: 'web: python3 app.py', 'app.py': '' }), DEFAULT_BUILDPACKS_DIR, {
    processes: { web: 'gunicorn app:app -b 0.0.0.0:$PORT' },
    ca: true,
  });
  assert.equal(bp.name, 'python');
  assert.match(bp.dockerfile, /^FROM python:3\.11-slim$/m);
  assert.ok(bp.dockerfile.indexOf('RUN pip install --no-cache-dir -r requirements.txt') < bp.dockerfile.indexOf('COPY . .'));
  assert.match(bp.dockerfile, /PIP_CERT=/);
  assert.match(bp.dockerfile, /^CMD \["sh","-c","exec gunicorn app:app -b 0.0.0.0:\$PORT"\]$/m);
});

test('python without requirements.txt skips pip', () => {
  const bp = detectBuildpack(repo({ Procfile: 'web: python3 app.py', 'app.py': '' }), DEFAULT_BUILDPACKS_DIR);
  assert.doesNotMatch(bp.dockerfile, /pip install/);
});

test('static ships its file server into the context and serves the site on $PORT', () => {
  const bp = detectBuildpack(repo({ 'index.html': '<h1>hi</h1>' }), DEFAULT_BUILDPACKS_DIR);
  assert.equal(bp.name, 'static');
  assert.deepEqual(Object.keys(bp.files), ['slipway-buildpack/serve.js']);
  assert.match(bp.dockerfile, /^COPY slipway-buildpack\/serve\.js /m);
  assert.match(bp.dockerfile, /^CMD \["sh","-c","exec node \/slipway\/serve\.js \/app"\]$/m);
});

test('procfile runs on debian:bookworm-slim; without a web process the first process is the default command', () => {
  const bp = detectBuildpack(repo({ Procfile: 'worker: ./work.sh' }), DEFAULT_BUILDPACKS_DIR, { processes: { worker: './work.sh' } });
  assert.equal(bp.name, 'procfile');
  assert.match(bp.dockerfile, /^FROM debian:bookworm-slim$/m);
  assert.match(bp.dockerfile, /^CMD \["sh","-c","exec \.\/work\.sh"\]$/m);
});

test('every shipped template uses a base image the local registry holds', () => {
  for (const spec of specs) {
    // A repo of its own per buildpack, holding the files of each detect rule (a `*` glob
    // becomes one matching file): so each template is rendered, not the first match's.
    for (const rule of spec.detect) {
      const dir = repo(Object.fromEntries(rule.map((p) => [p.replace('*', 'app'), p === 'package.json' ? '{}' : ''])));
      const bp = detectBuildpack(dir, DEFAULT_BUILDPACKS_DIR);
      assert.equal(bp.name, spec.name, `a repo with only ${rule.join(' + ')} detects ${spec.name}`);
      assert.match(bp.dockerfile, /^FROM (node:(18|22|24)-slim|python:3\.11-slim|debian:bookworm-slim)$/m, spec.name);
    }
  }
});

test('the node buildpack takes the base image the build stage picked for engines.node', () => {
  const bp = detectBuildpack(repo({ 'package.json': '{}' }), DEFAULT_BUILDPACKS_DIR, { base: 'slipway/node-runtime:r-0123456789abcdef' });
  assert.match(bp.dockerfile, /^FROM slipway\/node-runtime:r-0123456789abcdef$/m);
});
