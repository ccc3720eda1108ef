// Push to deploy, as a user does it: `git push` to Slipway builds the exact commit, pushes it
// to the registry as vN, and serves it through HAProxy; a broken push is rejected and leaves
// the previous release serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/apps');
let s: TestServer;
const apps: string[] = [];

before(async () => {
  s = await startTestServer();
});
after(async () => {
  for (const a of apps) await s.api(`/api/apps/${a}?confirm=${a}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

async function createApp(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const res = await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name }) });
  assert.equal(res.status, 201);
  apps.push(name);
  return name;
}

const host = (app: string) => `${app}.${s.config.appsDomain}`;

test('a Node app with a Procfile and no Dockerfile deploys with the node buildpack and serves', async () => {
  const app = await createApp('node');
  const repo = await repoFrom(path.join(FIXTURES, 'node-procfile'));
  const sha = await repo.commit('first');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, new RegExp(`remote: -----> Building ${app} \\(${sha.slice(0, 7)}\\) with buildpack node`));
  assert.match(pushed.output, /remote: .*Pushed .*:v1/);
  assert.match(pushed.output, /remote: -----> Deployed v1 at http/);
  const res = await getViaProxy(s.config.httpPort, host(app));
  assert.equal(res.status, 200);
  assert.match(res.body, /node-procfile/);

  // The registry holds v1 and the commit's sha tag.
  const tags = (await (await fetch(`http://${s.config.registry}/v2/${app}/tags/list`)).json()) as { tags: string[] };
  assert.ok(tags.tags.includes('v1'), JSON.stringify(tags));
  assert.ok(tags.tags.includes(`git-${sha.slice(0, 12)}`), JSON.stringify(tags));

  // A one-line change deploys as v2 and is what HAProxy serves.
  await repo.commit('second', { 'VERSION': 'second-version\n' });
  const again = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /Deployed v2/);
  assert.match((await getViaProxy(s.config.httpPort, host(app))).body, /second-version/);
  const releases = (await (await s.api(`/api/apps/${app}/releases`)).json()) as { version: number; status: string; digest: string }[];
  assert.deepEqual(releases.map((r) => [r.version, r.status]), [[2, 'active'], [1, 'superseded']]);
  assert.match(releases[0]!.digest, /^sha256:[0-9a-f]{64}$/);
});

test('a broken push is rejected with the failing step and the previous release keeps serving', async () => {
  const app = await createApp('broken');
  const repo = await repoFrom(path.join(FIXTURES, 'dockerfile-node'));
  await repo.commit('good');
  const good = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(good.code, 0, good.output);
  const before = await getViaProxy(s.config.httpPort, host(app));
  assert.equal(before.status, 200);

  await repo.commit('break it', { Dockerfile: 'FROM node:18-slim\nRUN echo about-to-fail && false\n' });
  const bad = await repo.push(pushUrl(s.url, s.token, app));
  assert.notEqual(bad.code, 0, 'push of a failing build must fail');
  assert.match(bad.output, /about-to-fail/);
  assert.match(bad.output, /\[remote rejected\]|pre-receive hook declined/);
  const afterBad = await getViaProxy(s.config.httpPort, host(app));
  assert.equal(afterBad.status, 200);
  assert.equal(afterBad.body, before.body);
});

test('a static site deploys with the static buildpack', async () => {
  const app = await createApp('static');
  const repo = await repoFrom(path.join(FIXTURES, 'static-site'));
  await repo.commit('site');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /with buildpack static/);
  const res = await getViaProxy(s.config.httpPort, host(app));
  assert.equal(res.status, 200);
  assert.match(res.body, /static-site/);
});

test('a repo with neither a Dockerfile nor a buildpack is rejected with what was looked for', async () => {
  const app = await createApp('empty');
  const repo = await repoFrom(null, { 'notes.txt': 'nothing to run\n' });
  await repo.commit('nothing');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.notEqual(pushed.code, 0);
  assert.match(pushed.output, /Dockerfile/);
  assert.match(pushed.output, /package\.json/);
});

test('other branches are stored but not deployed; a bad token or unknown app is refused', async () => {
  const app = await createApp('branches');
  const repo = await repoFrom(null, { 'notes.txt': 'x\n' });
  await repo.commit('feature work');
  const feature = await repo.push(pushUrl(s.url, s.token, app), 'main:feature');
  assert.equal(feature.code, 0, feature.output);
  assert.match(feature.output, /refs\/heads\/feature stored; only main/);
  const deploys = (await (await s.api(`/api/apps/${app}/deploys`)).json()) as unknown[];
  assert.equal(deploys.length, 0);

  const badToken = await repo.push(pushUrl(s.url, 'wrong', app), 'main:feature2');
  assert.notEqual(badToken.code, 0);
  assert.match(badToken.output, /Authentication failed|401|invalid token/);
  const unknown = await repo.push(pushUrl(s.url, s.token, 'no-such-app-here'), 'main:x');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.output, /not found|no app named/);
});

test('slipway deploy uploads a directory without git', async () => {
  const app = await createApp('upload');
  const res = await s.cli(['deploy', app, path.join(FIXTURES, 'static-site')]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /Deployed v1/);
  assert.match((await getViaProxy(s.config.httpPort, host(app))).body, /static-site/);
  const releases = await s.cli(['releases', app, '--json']);
  assert.equal((JSON.parse(releases.stdout) as unknown[]).length, 1);
});
