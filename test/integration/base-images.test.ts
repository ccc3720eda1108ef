// A build refuses a base image that changed behind Slipway's back, against a real server, Docker
// and a registry of the test's own (its own port and storage, test-only image names: the shared
// seeded images are never touched). The image's digest is recorded as scripts/base-images.sh
// records the seeded ones; then someone pushes over it, or swaps the engine's local copy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getViaProxy } from '../helpers/http.js';
import { freePort, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'slipway-base-'));
const base = uniqueName('slipway-isobase');
let registry: ChildProcess;
let reg = '';
let s: TestServer;
let app = '';

async function docker(args: string[], input?: string): Promise<string> {
  if (input === undefined) return (await run('docker', args)).stdout.trim();
  return new Promise((resolve, reject) => {
    const p = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`docker ${args.join(' ')}: ${out}`))));
    p.stdin.end(input);
  });
}

const built: string[] = [];
/** Builds `FROM node:18-slim` with a marker label as `tag`. */
async function buildBase(tag: string, marker: string): Promise<void> {
  const out = await docker(['build', '-q', '-t', tag, '-'], `FROM node:18-slim\nLABEL slipway.test.marker=${marker}\n`);
  built.push(/sha256:[0-9a-f]{64}/.exec(out)![0]);
}

async function pushToTestRegistry(local: string): Promise<string> {
  const remote = `${reg}/library/${base}:1`;
  await docker(['tag', local, remote]);
  await docker(['push', '-q', remote]);
  const res = await fetch(`http://${reg}/v2/library/${base}/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  return res.headers.get('docker-content-digest')!;
}

function appDir(version: string): string {
  const dir = path.join(tmp, `app-${version}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${base}:1\nWORKDIR /app\nCOPY server.js .\nCMD ["node", "server.js"]\n`);
  writeFileSync(path.join(dir, 'server.js'), `require('http').createServer((q, r) => r.end('${version}')).listen(process.env.PORT);\n`);
  return dir;
}

before(async () => {
  const port = await freePort();
  reg = `127.0.0.1:${port}`;
  writeFileSync(
    path.join(tmp, 'registry.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/storage\nhttp:\n  addr: ${reg}\n`,
  );
  registry = spawn('docker-registry', ['serve', path.join(tmp, 'registry.yml')], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await fetch(`http://${reg}/v2/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  await buildBase(`${base}:1`, 'seeded');
  await buildBase(`${base}:poisoned`, 'poisoned');
  const digest = await pushToTestRegistry(`${base}:1`);
  s = await startTestServer({ drainSeconds: 0 });
  // What base-images.sh writes for the images it seeds.
  writeFileSync(
    path.join(s.dataDir, 'base-images.json'),
    JSON.stringify({ images: [{ name: `${base}:1`, registry: reg, repository: `library/${base}`, tag: '1', digest }] }),
  );
  app = uniqueName('base');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});

after(async () => {
  if (app) await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
  registry?.kill('SIGTERM');
  // Every name this file gave the images it built (the images may be cached layers of others').
  for (const id of built) {
    const names: string[] = [];
    for (const field of ['.RepoTags', '.RepoDigests'])
      names.push(...((JSON.parse(await docker(['image', 'inspect', '--format', `{{json ${field}}}`, id]).catch(() => '[]')) as string[] | null) ?? []));
    for (const n of names.filter((n) => n.includes(base))) await docker(['image', 'rm', n]).catch(() => undefined);
  }
  rmSync(tmp, { recursive: true, force: true });
});

test('a build on the seeded base image runs; after someone pushes over it, builds are refused naming it and how to re-seed, and v1 keeps serving', async () => {
  const ok = await s.cli(['deploy', app, appDir('one')]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, new RegExp(`Base image ${base}:1 is the seeded one`));
  const served = async () => (await getViaProxy(s.config.httpPort, `${app}.localhost`)).body;
  assert.equal(await served(), 'one');

  await pushToTestRegistry(`${base}:poisoned`);
  const refused = await s.cli(['deploy', app, appDir('two')]);
  assert.notEqual(refused.code, 0);
  const out = refused.stdout + refused.stderr;
  assert.match(out, new RegExp(`base image ${base}:1 changed behind Slipway's back`));
  assert.match(out, new RegExp(`bash scripts/base-images.sh --reseed ${base}:1`));
  assert.equal(await served(), 'one');
});

test('the engine\'s local copy swapped for another image is refused too', async () => {
  await pushToTestRegistry(`${base}:1`); // the registry is right again
  await docker(['tag', `${base}:poisoned`, `${base}:1`]);
  const refused = await s.cli(['deploy', app, appDir('three')]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /local copy is not the seeded/);
});
