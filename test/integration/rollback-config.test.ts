// A rollback changes the app's config only when its release goes live. Here the rollback to v1
// cannot start any more (its web refuses to start once the shared volume holds a file that the
// test puts there), so it fails: the running release keeps serving and the app's config stays
// what it was, so the next deploy uses it — not v1's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { volumeName } from '../../src/deploy/container-spec.js';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, removeImage } from '../../src/docker/images.js';
import { pushUrl, repoFrom } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/apps/compose-app');
let s: TestServer;
let app: string;

before(async () => {
  s = await startTestServer();
  app = uniqueName('rbcfg');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  const repo = await repoFrom(FIXTURE);
  // This web refuses to start once /data/poison exists on the app's shared volume.
  const web = readFileSync(path.join(FIXTURE, 'web.js'), 'utf8');
  // The fixture's compose file without its 3 s Docker healthcheck (web is checked by its port):
  // on a busy machine `node -e` alone can take 3 s, and this test is about the rollback.
  const compose = readFileSync(path.join(FIXTURE, 'docker-compose.yml'), 'utf8').replace(/ {4}healthcheck:\n( {6}.*\n)+/, '');
  await repo.commit('v1', {
    'docker-compose.yml': compose,
    'web.js': `if (require('fs').existsSync('/data/poison')) { console.log('poisoned'); process.exit(1); }\n${web}`,
  });
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
});
after(async () => {
  await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  const docker = createDocker(s.config);
  for (const id of await imagesLabelled(docker, 'slipway.app', app).catch(() => [])) await removeImage(docker, id, true).catch(() => undefined);
  await s?.stop();
});

/** A deploy-making request answered with the deploy's output; returns its final status. */
async function outcome(res: Response): Promise<{ status: string; error?: string }> {
  assert.equal(res.status, 200);
  const last = (await res.text()).trimEnd().split('\n').at(-1)!;
  return JSON.parse(last.replace(/^\u001fslipway-status /, '')) as { status: string; error?: string };
}

test('a failed rollback leaves the app config as it was; the release serving keeps serving', async () => {
  const set = await outcome(await s.api(`/api/apps/${app}/config`, { method: 'POST', body: JSON.stringify({ set: { GREETING: 'two' } }) }));
  assert.equal(set.status, 'succeeded', JSON.stringify(set));
  assert.match((await getViaProxy(s.config.httpPort, `${app}.localhost`)).body, /greeting=two/);

  const [v2] = (await (await s.api(`/api/apps/${app}/releases`)).json()) as { image: string }[];
  await promisify(execFile)('docker', ['run', '--rm', '-v', `${volumeName(app, 'shared')}:/data`, v2!.image, 'touch', '/data/poison']);

  const rollback = await outcome(await s.api(`/api/apps/${app}/rollback`, { method: 'POST', body: JSON.stringify({ version: 1 }) }));
  assert.equal(rollback.status, 'failed', JSON.stringify(rollback));
  assert.match(rollback.error ?? '', /_web_(blue|green)_1 (exited with code 1|crashed)/);
  assert.deepEqual(await (await s.api(`/api/apps/${app}/config`)).json(), { GREETING: 'two' });
  const releases = (await (await s.api(`/api/apps/${app}/releases`)).json()) as { version: number; status: string }[];
  assert.deepEqual(releases.map((r) => [r.version, r.status]), [[3, 'failed'], [2, 'active'], [1, 'superseded']]);
  assert.match((await getViaProxy(s.config.httpPort, `${app}.localhost`)).body, /greeting=two/);
});
