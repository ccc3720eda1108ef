// An app's footprint, as `slipway apps:info` shows it (images, logs, volumes), and `apps:destroy`
// removing all of it: containers, network, volumes, repo and mirror, log lines, builds, deploy
// outputs, registry manifests and local images — a new app of the same name starts empty.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { dataPaths } from '../../src/config.js';
import { fetchRevision } from '../../src/source/fetch.js';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let s: TestServer;
let app: string;

before(async () => {
  s = await startTestServer();
  app = uniqueName('gone');
});
after(async () => {
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

const label = () => ({ label: [`slipway.app=${app}`] });
const logLines = async () => (await (await s.api(`/api/apps/${app}/logs?n=1000`)).json()) as { line: string }[];
const tags = async () => {
  const res = await fetch(`http://${s.config.registry}/v2/${app}/tags/list`);
  return res.status === 404 ? [] : (((await res.json()) as { tags: string[] | null }).tags ?? []);
};

test('apps:info shows the disk an app takes; apps:destroy removes everything of it; the name starts afresh', async () => {
  assert.equal((await s.cli(['apps:create', app])).code, 0);
  const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/compose-app'));
  await repo.commit('v1');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  // A mirror, as a connected app's webhook deploy makes it.
  const paths = dataPaths(s.config);
  const rev = await fetchRevision({ mirrorsDir: paths.mirrors, app, repoUrl: `file://${repo.dir}`, branch: 'main', progress: () => undefined, allowFile: true });
  rmSync(rev.dir, { recursive: true, force: true });
  for (let i = 0; i < 100 && !(await logLines()).some((l) => /worker v1 started/.test(l.line)); i++) await new Promise((r) => setTimeout(r, 200));

  const info = await s.cli(['apps:info', app]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^Disk: +[\d.]+ [kMG]?B in all$/m);
  assert.match(info.stdout, /^ {2}images: +[1-9]\d* images?, [\d.]+ [kMG]?B \(\+ [\d.]+ [kMG]?B of base layers shared with other images\)$/m);
  assert.match(info.stdout, /^ {2}logs: +[\d.]+ [kMG]?B \(log store [1-9][\d.]* [kMG]?B, build logs [1-9][\d.]* [kMG]?B, deploy output [1-9][\d.]* [kMG]?B\)$/m);
  assert.match(info.stdout, /^ {2}volumes: +1 volume, [\d.]+ [kMG]?B$/m);
  const disk = ((await (await s.api(`/api/apps/${app}`)).json()) as { disk: { images: { count: number; bytes: number }; totalBytes: number } }).disk;
  assert.ok(disk.images.count >= 1 && disk.totalBytes > 0, JSON.stringify(disk));

  // What exists now, to check each is gone after.
  const appId = s.state.apps.get(app).id;
  const buildLogs = s.state.builds.all(appId).map((b) => b.logPath);
  const outputs = s.state.deployments.all(appId).map((d) => path.join(s.dataDir, 'deploys', `${d.id}.log`));
  assert.ok(buildLogs.length && [...buildLogs, ...outputs].every((f) => existsSync(f)));
  assert.ok((await tags()).includes('v1'));
  assert.ok((await docker.listImages({ filters: label() })).length > 0);
  assert.ok(existsSync(path.join(paths.mirrors, `${app}.git`)) && existsSync(path.join(paths.repos, `${app}.git`)));

  const destroyed = await s.cli(['apps:destroy', app, '--confirm', app]);
  assert.equal(destroyed.code, 0, destroyed.stderr);
  assert.deepEqual(await docker.listContainers({ all: true, filters: label() }), []);
  assert.deepEqual((await docker.listVolumes({ filters: label() })).Volumes ?? [], []);
  assert.deepEqual(await docker.listImages({ filters: label() }), []);
  await assert.rejects(docker.getNetwork(`slipway-${app}`).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  assert.deepEqual(await tags(), []);
  for (const f of [...buildLogs, ...outputs]) assert.equal(existsSync(f), false, `${f} removed`);
  assert.equal(existsSync(path.join(paths.mirrors, `${app}.git`)), false, 'mirror removed');
  assert.equal(existsSync(path.join(paths.repos, `${app}.git`)), false, 'repo removed');
  assert.ok(!readdirSync(path.join(s.dataDir, 'uploads')).length, 'no upload left');

  // Same name, new app: nothing of the old one shows.
  assert.equal((await s.cli(['apps:create', app])).code, 0);
  assert.deepEqual(await logLines(), []);
  assert.deepEqual(await (await s.api(`/api/apps/${app}/builds`)).json(), []);
  assert.deepEqual(await (await s.api(`/api/apps/${app}/deploys`)).json(), []);
  const fresh = await s.cli(['apps:info', app]);
  assert.match(fresh.stdout, /^ {2}images: +0 images, 0 B/m);
  assert.match(fresh.stdout, /^ {2}logs: +0 B /m);
});
