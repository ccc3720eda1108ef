// Release retention against a private registry (never the machine's shared one): with
// SLIPWAY_KEEP_RELEASES=2 an app keeps two releases; older ones lose their registry manifests
// (and, after Slipway's garbage collection, their layers), local images, build logs and deploy
// outputs — but never the image a kept release still runs (a rollback release reuses one).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { privateRegistry, type PrivateRegistry } from '../helpers/registry.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let reg: PrivateRegistry;
let s: TestServer;
let app: string;
let repo: Repo;

before(async () => {
  reg = await privateRegistry();
  s = await startTestServer({ registry: reg.address, registryConfig: reg.configFile, keepReleases: 2 });
  app = uniqueName('keep');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/dockerfile-node'));
});
after(async () => {
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
  await reg?.stop();
});

const served = async () => (await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body;
const tags = async () => ((await (await fetch(`http://${reg.address}/v2/${app}/tags/list`)).json()) as { tags: string[] | null }).tags ?? [];

/** The blobs (config and layers) a tag's manifest references. */
async function blobsOf(tag: string): Promise<string[]> {
  const res = await fetch(`http://${reg.address}/v2/${app}/manifests/${tag}`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(res.status, 200, `manifest ${tag}`);
  const m = (await res.json()) as { config: { digest: string }; layers: { digest: string }[] };
  return [m.config.digest, ...m.layers.map((l) => l.digest)];
}

async function deploy(version: string): Promise<string> {
  await repo.commit(version, { VERSION: `${version}\n` });
  const r = await repo.push(pushUrl(s.url, s.token, app), 'HEAD:refs/heads/main', ['--force']);
  assert.equal(r.code, 0, r.output);
  assert.equal(await served(), `dockerfile-node ${version}\n`);
  return r.output;
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`never happened: ${what}`);
}

test('past the last 2 releases, a release loses its manifest, layers, local image, build log and deploy output', async () => {
  await deploy('A');
  const v1Blobs = await blobsOf('v1');
  const appId = s.state.apps.get(app).id;
  const [v1Deploy] = s.state.deployments.all(appId);
  const v1Build = s.state.builds.find(appId, v1Deploy!.buildId!)!;
  assert.ok(existsSync(v1Build.logPath) && existsSync(path.join(s.dataDir, 'deploys', `${v1Deploy!.id}.log`)));
  await deploy('B');
  const third = await deploy('C');

  assert.match(third, /Keeping the last 2 releases: removed v1 and their images/);
  const releases = (await (await s.api(`/api/apps/${app}/releases`)).json()) as { version: number }[];
  assert.deepEqual(releases.map((r) => r.version), [3, 2]);
  const left = await tags();
  assert.ok(!left.includes('v1') && left.includes('v2') && left.includes('v3'), left.join(' '));
  await assert.rejects(docker.getImage(`${reg.address}/${app}:v1`).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  assert.equal(existsSync(v1Build.logPath), false, 'v1 build log removed');
  assert.equal(existsSync(path.join(s.dataDir, 'deploys', `${v1Deploy!.id}.log`)), false, 'v1 deploy output removed');
  assert.ok(!s.state.deployments.all(appId).some((d) => d.id === v1Deploy!.id));

  // The garbage collection (off the deploy's path) sweeps v1's own blobs, and only those.
  const kept = new Set([...(await blobsOf('v2')), ...(await blobsOf('v3'))]);
  const own = v1Blobs.filter((b) => !kept.has(b));
  assert.ok(own.length > 0, 'v1 has blobs of its own (its code layer and config)');
  await until("v1's own blobs are collected", () => own.every((b) => !reg.hasBlob(b)));
  for (const b of kept) assert.ok(reg.hasBlob(b), `kept blob ${b}`);
});

test('after the collection a rollback pulls a kept release back from the registry, and its image outlives its own release', async () => {
  // Without v2's image on this engine, the rollback must pull every layer of it.
  const v2 = await docker.getImage(`${reg.address}/${app}:v2`).inspect();
  await docker.getImage(v2.Id).remove({ force: true });
  const back = await s.cli(['rollback', app, 'v2']);
  assert.equal(back.code, 0, back.stdout + back.stderr);
  assert.equal(await served(), 'dockerfile-node B\n');

  // v4 ("Rollback to v2") and v5 are kept: v2 and v3 go, but v2's image is v4's, so it stays.
  const fifth = await deploy('D');
  assert.match(fifth, /removed v3, v2 and their images/);
  const left = await tags();
  assert.ok(left.includes('v2') && !left.includes('v3') && left.includes('v5'), left.join(' '));
  const back2 = await s.cli(['rollback', app, 'v4']);
  assert.equal(back2.code, 0, back2.stdout + back2.stderr);
  assert.equal(await served(), 'dockerfile-node B\n');
});
