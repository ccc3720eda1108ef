// Releases run by digest, never by tag, against the real engine and registry: after someone moves
// the app's `v1` tag in the registry to other content and the engine's copy of v1 is gone, a
// rollback to v1 still pulls and serves v1's own image; a compose `image:` is pinned when the
// release is made, so re-tagging it later changes nothing for that release or its config changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { getViaProxy } from '../helpers/http.js';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const engine = new Docker({ socketPath: '/var/run/docker.sock' });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'slipway-digest-'));
const sidecar = uniqueName('slipway-isopin');
let s: TestServer;
let app = '';

const buildImage = (tag: string, marker: string) =>
  new Promise<void>((resolve, reject) => {
    const p = spawn('docker', ['build', '-q', '-t', tag, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err))));
    p.stdin.end(`FROM node:18-slim\nENV MARKER=${marker}\n`);
  });

function appDir(version: string): string {
  const dir = path.join(tmp, version);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM node:18-slim\nWORKDIR /app\nCOPY server.js .\nCMD ["node", "server.js"]\n');
  writeFileSync(path.join(dir, 'server.js'), `require('http').createServer((q, r) => r.end('${version}')).listen(process.env.PORT);\n`);
  writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    `services:\n  web:\n    build: .\n  side:\n    image: ${sidecar}:1\n    command: ["sleep", "600"]\n`,
  );
  return dir;
}

const served = async () => (await getViaProxy(s.config.httpPort, `${app}.localhost`)).body;
async function ok(args: string[]): Promise<string> {
  const r = await s.cli(args);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}
async function running(service: string): Promise<Docker.ContainerInspectInfo> {
  const [c] = await engine.listContainers({ filters: { label: [`slipway.app=${app}`, `slipway.service=${service}`] } });
  assert.ok(c, `no running ${service}`);
  return engine.getContainer(c.Id).inspect();
}
async function release(version: number): Promise<{ image: string; digest: string }> {
  const list = (await (await s.api(`/api/apps/${app}/releases`)).json()) as { version: number; image: string; digest: string }[];
  return list.find((r) => r.version === version)!;
}

before(async () => {
  await buildImage(`${sidecar}:1`, 'one');
  await buildImage(`${sidecar}:2`, 'two');
  s = await startTestServer({ drainSeconds: 0 });
  app = uniqueName('dig');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});
after(async () => {
  if (app) await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
  for (const tag of [`${sidecar}:1`, `${sidecar}:2`]) await run('docker', ['image', 'rm', '-f', tag]).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

test('a compose image: is pinned when the release is made; re-tagging it later changes nothing for that release or its config change', async () => {
  await ok(['deploy', app, appDir('one')]);
  assert.equal(await served(), 'one');
  const v1Side = await running('side');
  assert.ok(v1Side.Config.Env.includes('MARKER=one'));
  assert.match(v1Side.Config.Image, /^sha256:[0-9a-f]{64}$|@sha256:[0-9a-f]{64}$/);
  // Someone points the tag at other content; a config change re-derives v1's services.
  await run('docker', ['tag', `${sidecar}:2`, `${sidecar}:1`]);
  await ok(['config:set', app, 'X=1']);
  const after = await running('side');
  assert.notEqual(after.Id, v1Side.Id);
  assert.equal(after.Image, v1Side.Image);
  assert.ok(after.Config.Env.includes('MARKER=one'));
});

test('a rollback runs v1 by digest after v1\'s tag was moved in the registry and the engine lost its copy', async () => {
  await ok(['deploy', app, appDir('two')]);
  assert.equal(await served(), 'two');
  const v1 = await release(1);
  const v3 = await release(3);
  assert.match(v1.image, /@sha256:[0-9a-f]{64}$/);
  // Point tag v1 at v3's manifest, as anyone on the machine can (the registry takes pushes without credentials).
  const registry = `http://${s.config.registry}/v2/${app}/manifests`;
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
  const got = await fetch(`${registry}/v3`, { headers: { accept } });
  const manifest = await got.arrayBuffer();
  const put = await fetch(`${registry}/v1`, { method: 'PUT', headers: { 'content-type': got.headers.get('content-type')! }, body: manifest });
  assert.equal(put.status, 201, await put.text());
  const moved = await fetch(`${registry}/v1`, { method: 'HEAD', headers: { accept } });
  assert.equal(moved.headers.get('docker-content-digest'), v3.digest);
  // The engine no longer has v1 (a fresh host, or pruned): the rollback has to pull it.
  const local = await engine.getImage(v1.image).inspect();
  await engine.getImage(local.Id).remove({ force: true });
  await assert.rejects(engine.getImage(v1.image).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);

  await ok(['rollback', app, 'v1']);
  assert.equal(await served(), 'one');
  assert.equal((await running('web')).Config.Image, v1.image);
});
