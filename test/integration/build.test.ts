// Building real images with the Docker Engine: a Procfile app through the node buildpack
// (and its cached rebuild), a Dockerfile app, a static site, a Python app, a broken build,
// and dependencies fetched from an HTTPS host signed by a CA the test makes, through the
// configured CA bundle.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { buildRevision, type BuildOptions } from '../../src/build/build.js';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, removeImage } from '../../src/docker/images.js';
import type { BuiltImage, SourceRevision } from '../../src/domain.js';
import { UserError } from '../../src/errors.js';
import { bridgeHostIp, makeCa, serveHttps } from '../helpers/tls.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/apps/', import.meta.url));
const docker = createDocker({ dockerSocket: process.env.SLIPWAY_DOCKER_SOCKET || '/var/run/docker.sock' });
const apps: string[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'slipway-build-'));

after(async () => {
  for (const app of apps) for (const id of await imagesLabelled(docker, 'slipway.app', app)) await removeImage(docker, id, true);
  rmSync(tmp, { recursive: true, force: true });
});

function appName(prefix: string): string {
  const name = `bt-${prefix}-${randomBytes(3).toString('hex')}`;
  apps.push(name);
  return name;
}

function revision(app: string, dir: string): SourceRevision {
  return { app, sha: randomBytes(20).toString('hex'), ref: 'refs/heads/main', dir };
}

async function build(rev: SourceRevision, opts: Partial<BuildOptions> = {}): Promise<{ image: BuiltImage; lines: string[] }> {
  const lines: string[] = [];
  const image = await buildRevision(rev, { docker, config: {}, appConfig: {}, progress: (l) => { lines.push(l); if (process.env.DEBUG_BUILD) console.error(l); }, ...opts });
  return { image, lines };
}

/** Runs the image's default command with PORT=5000 published on a random port; returns the body of GET path. */
async function serve(image: string, urlPath = '/'): Promise<{ status: number; body: string }> {
  const container = await docker.createContainer({
    Image: image,
    Env: ['PORT=5000'],
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, AutoRemove: false },
  });
  try {
    await container.start();
    const info = await container.inspect();
    const port = info.NetworkSettings.Ports['5000/tcp']?.[0]?.HostPort;
    assert.ok(port, 'the port is published');
    // Generous: the app needs a moment to listen; the loop ends on the first answer. Until it
    // listens, docker-proxy accepts and holds the connection, so each attempt has its own
    // deadline (a referenced timer: undici's socket alone doesn't keep the process alive).
    for (let i = 0; i < 60; i++) {
      const attempt = new AbortController();
      const timer = setTimeout(() => attempt.abort(), 2000);
      try {
        const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: attempt.signal });
        return { status: res.status, body: await res.text() };
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        clearTimeout(timer);
      }
    }
    throw new Error(`${image} never answered on $PORT`);
  } finally {
    await container.remove({ force: true });
  }
}

/** Runs a one-off command in the image and returns its output. */
async function runIn(image: string, cmd: string[]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const [result, container] = (await docker.run(image, cmd, out, { Tty: true })) as [{ StatusCode: number }, Dockerode.Container];
  await container.remove({ force: true });
  assert.equal(result.StatusCode, 0, Buffer.concat(chunks).toString());
  return Buffer.concat(chunks).toString().replace(/\r/g, '');
}

test('a Node app with a Procfile and no Dockerfile builds with the node buildpack and serves on $PORT', async () => {
  const app = appName('node');
  const rev = revision(app, path.join(FIXTURES, 'node-procfile'));
  const { image, lines } = await build(rev, { release: 1 });
  assert.equal(lines[0], `-----> Building ${app} (${rev.sha.slice(0, 7)}) with buildpack node`);
  assert.ok(lines.some((l) => /Step \d+\/\d+ : RUN npm ci/.test(l)), lines.join('\n'));
  assert.equal(image.buildpack, 'node');
  assert.deepEqual(image.processes, { web: 'node server.js' });
  assert.equal(image.exposedPort, 5000);
  assert.match(image.imageId, /^sha256:[0-9a-f]{64}$/);
  const labels = (await docker.getImage(image.imageId).inspect()).Config.Labels;
  assert.deepEqual(
    { app: labels['slipway.app'], sha: labels['slipway.sha'], release: labels['slipway.release'] },
    { app, sha: rev.sha, release: '1' },
  );
  const res = await serve(`slipway/${app}:build-${rev.sha.slice(0, 12)}`);
  assert.equal(res.status, 200);
  assert.match(res.body, /^node-procfile first-version/);

  // An unchanged rebuild (a new commit, same files) reuses the dependency layer.
  const again = await build(revision(app, rev.dir), { release: 2 });
  const install = again.lines.findIndex((l) => /Step \d+\/\d+ : RUN npm ci/.test(l));
  assert.ok(install > 0, again.lines.join('\n'));
  assert.equal(again.lines[install + 1]?.trim(), '---> Using cache', again.lines.join('\n'));
});

test('a Dockerfile app builds with its own Dockerfile and gets only the config vars it declares as ARGs', async () => {
  const app = appName('dockerfile');
  const rev = revision(app, path.join(FIXTURES, 'dockerfile-node'));
  const { image, lines } = await build(rev, { appConfig: { BUILD_GREETING: 'hello-from-config', DATABASE_URL: 'secret' } });
  assert.equal(lines[0], `-----> Building ${app} (${rev.sha.slice(0, 7)}) with Dockerfile`);
  assert.equal(image.buildpack, null);
  assert.equal(image.exposedPort, 5000);
  assert.ok(!lines.some((l) => /not consumed|DATABASE_URL/.test(l)), lines.join('\n'));
  assert.match(await runIn(image.imageId, ['cat', '/build-greeting.txt']), /greeting at build time: hello-from-config/);
  const res = await serve(image.imageId);
  assert.match(res.body, /^dockerfile-node first-version/);
});

test('a static site is served by the static buildpack, without Slipway\'s own files', async () => {
  const app = appName('static');
  const { image } = await build(revision(app, path.join(FIXTURES, 'static-site')));
  assert.equal(image.buildpack, 'static');
  const page = await serve(image.imageId);
  assert.equal(page.status, 200);
  assert.match(page.body, /static-site/);
  assert.match(page.body, /first-version/);
  assert.equal((await serve(image.imageId, '/Dockerfile.slipway')).status, 404);
});

test('a Python app with a Procfile builds with the python buildpack and serves', async () => {
  const app = appName('python');
  const { image } = await build(revision(app, path.join(FIXTURES, 'python-app')));
  assert.equal(image.buildpack, 'python');
  assert.match((await serve(image.imageId)).body, /^python-app first-version/);
});

test('a failing build is a UserError naming the failing step and showing its output', async () => {
  const app = appName('broken');
  const lines: string[] = [];
  await assert.rejects(
    buildRevision(revision(app, path.join(FIXTURES, 'broken-dockerfile')), { docker, config: {}, appConfig: {}, progress: (l) => lines.push(l) }),
    (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, /^build failed at Step 3\/\d+ : RUN echo "about-to-fail: missing-file\.txt" && cat missing-file\.txt$/m);
      assert.match(e.message, /about-to-fail: missing-file\.txt/);
      assert.match(e.message, /No such file or directory/);
      assert.match(e.message, /returned a non-zero code: 1/);
      return true;
    },
  );
  // The same output streamed live, as it happened.
  assert.ok(lines.some((l) => /No such file or directory/.test(l)), lines.join('\n'));
});

test('a repo with neither a Dockerfile nor a recognisable app says what it looked for', async () => {
  const dir = mkdtempSync(path.join(tmp, 'none-'));
  writeFileSync(path.join(dir, 'README.md'), '# nothing to build');
  await assert.rejects(build(revision(appName('none'), dir)), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^no Dockerfile at Dockerfile, and no buildpack matched: node \(package\.json\), .*procfile \(Procfile\)/);
    return true;
  });
});

/** An npm package tarball (package/package.json + package/index.js), made with the system tar. */
async function npmTarball(name: string, value: string): Promise<Buffer> {
  const dir = mkdtempSync(path.join(tmp, 'pkg-'));
  mkdirSync(path.join(dir, 'package'));
  writeFileSync(path.join(dir, 'package/package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
  writeFileSync(path.join(dir, 'package/index.js'), `module.exports = ${JSON.stringify(value)};\n`);
  await promisify(execFile)('tar', ['-C', dir, '-czf', path.join(dir, 'pkg.tgz'), 'package']);
  return readFileSync(path.join(dir, 'pkg.tgz'));
}

// The CA is made here, so only the bundle Slipway injects can make the build trust the server.
test('an npm dependency from an HTTPS host signed by the configured CA installs (SLIPWAY_BUILD_CA_FILE)', async (t) => {
  const ip = await bridgeHostIp(docker);
  const ca = await makeCa(mkdtempSync(path.join(tmp, 'ca-')), ip);
  const value = `trusted-${randomBytes(4).toString('hex')}`;
  const host = await serveHttps(ca, ip, { '/ca-dep-1.0.0.tgz': await npmTarball('ca-dep', value) });
  t.after(() => host.close());
  const dir = mkdtempSync(path.join(tmp, 'dep-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'dep', version: '1.0.0', private: true, dependencies: { 'ca-dep': `${host.url}/ca-dep-1.0.0.tgz` } }));
  writeFileSync(path.join(dir, 'server.js'), 'process.stdout.write(require("ca-dep") + "\\n")\n');
  const { image, lines } = await build(revision(appName('ca'), dir), { config: { buildCaFile: ca.caFile } });
  assert.ok(lines.some((l) => /COPY slipway-ca\.crt/.test(l)), lines.join('\n'));
  assert.match(await runIn(image.imageId, ['node', 'server.js']), new RegExp(`^${value}$`, 'm'));
});

test('a user Dockerfile that declares ARG SLIPWAY_CA_FILE gets the CA bundle and can fetch from a host it signed', async (t) => {
  const ip = await bridgeHostIp(docker);
  const ca = await makeCa(mkdtempSync(path.join(tmp, 'ca-')), ip);
  const secret = `fetched-${randomBytes(4).toString('hex')}`;
  const host = await serveHttps(ca, ip, { '/hello': secret });
  t.after(() => host.close());
  const dir = mkdtempSync(path.join(tmp, 'ca-arg-'));
  const fetchIt = `require('https').get('${host.url}/hello', (r) => r.pipe(require('fs').createWriteStream('/fetched.txt'))).on('error', (e) => { console.error(e.message); process.exit(1); })`;
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM node:18-slim\nARG SLIPWAY_CA_FILE\nCOPY \${SLIPWAY_CA_FILE} /ca.crt\nRUN NODE_EXTRA_CA_CERTS=/ca.crt node -e "${fetchIt}"\n`,
  );
  const { image } = await build(revision(appName('caarg'), dir), { config: { buildCaFile: ca.caFile } });
  assert.equal(await runIn(image.imageId, ['cat', '/fetched.txt']), secret);
});

test('an aborted build stops and rejects (a cancelled deploy does not leave a build running)', async () => {
  const dir = mkdtempSync(path.join(tmp, 'abort-'));
  writeFileSync(path.join(dir, 'Dockerfile'), `FROM debian:bookworm-slim\nRUN echo started-${randomBytes(4).toString('hex')} && sleep 600\n`);
  const controller = new AbortController();
  const lines: string[] = [];
  await assert.rejects(
    buildRevision(revision(appName('abort'), dir), {
      docker,
      config: {},
      appConfig: {},
      signal: controller.signal,
      // Abort once the long step is running: no timing involved.
      progress: (l) => {
        lines.push(l);
        if (/^\s+started-/.test(l)) controller.abort();
      },
    }),
    (e: unknown) => (e as Error).name === 'AbortError',
  );
  assert.ok(lines.some((l) => /started-/.test(l)), lines.join('\n'));
});
