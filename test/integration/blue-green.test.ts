// Blue-green as a user lives it, on one compose app (web + worker + a named volume): every push,
// config change, scale and rollback is a new release that takes traffic without a failed
// request; a failing health check or a bad compose file leaves the serving release alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { getViaProxy, trafficDuring } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
let app: string;
let repo: Repo;
const host = () => `${app}.${s.config.appsDomain}`;

interface PsRow { service: string; name: string; color: string | null; release: string; state: string; port: number | null }
interface ReleaseRow { version: number; status: string; description: string; error: string | null }

const ps = async () => (await (await s.api(`/api/apps/${app}/ps`)).json()) as PsRow[];
const releases = async () => (await (await s.api(`/api/apps/${app}/releases`)).json()) as ReleaseRow[];
const served = async () => (await getViaProxy(s.config.httpPort, host())).body;
const push = () => repo.push(pushUrl(s.url, s.token, app));

/** The web answer names the worker's release once the new worker has written to the volume. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`never happened: ${what}`);
}

const webColors = (rows: PsRow[]) => [...new Set(rows.filter((r) => r.service === 'web').map((r) => r.color))];

before(async () => {
  // The drain limit is generous: the old color stops as soon as its requests are done.
  s = await startTestServer({ drainSeconds: 30 });
  app = uniqueName('bg');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/compose-app'));
  await repo.commit('v1');
});
after(async () => {
  await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

test('a compose app with web, worker and a named volume deploys; web reads what the worker writes', async () => {
  const pushed = await push();
  assert.equal(pushed.code, 0, pushed.output);
  // depends_on: the worker starts before the web service.
  assert.match(pushed.output, /v1: starting worker × 1[\s\S]*v1: starting web blue × 1/);
  assert.match(pushed.output, /v1: web blue 1\/1 healthy/);
  assert.match(pushed.output, /v1: web switched to blue/);
  await eventually('web shows the worker of v1', async () => /^web one greeting=from-env-file worker=v1 /.test(await served()));

  const rows = await ps();
  assert.deepEqual(rows.map((r) => [r.service, r.color, r.release, r.state, r.port]).sort(), [
    ['web', 'blue', 'v1', 'running', 3000],
    ['worker', null, 'v1', 'running', null],
  ]);
  const table = await s.cli(['ps', app]);
  assert.match(table.stdout, /web\s+slipway_\S+_web_blue_1\s+blue\s+v1\s+running\s+healthy\s+[\d.]+\s+3000/);
  const { stdout } = await promisify(execFile)('docker', ['volume', 'inspect', '--format', '{{.Name}}', `slipway_${app}_shared`]);
  assert.equal(stdout.trim(), `slipway_${app}_shared`);

  // What both services print, and the deploy's own output, are in `slipway logs`.
  await eventually('the containers\' lines reach slipway logs', async () => {
    const logs = (await s.cli(['logs', app, '-n', '500'])).stdout;
    return /worker v1 started/.test(logs) && /web one listening on 3000/.test(logs) && /Deployed v1/.test(logs);
  });
  assert.match((await s.cli(['logs', app, '--service', 'worker'])).stdout, /worker v1 started/);
  assert.doesNotMatch((await s.cli(['logs', app, '--service', 'worker'])).stdout, /listening/);
});

test('a release whose health check fails is removed, the push fails with why, and v1 keeps serving', async () => {
  await repo.commit('unhealthy', { HEALTH: 'fail\n', VERSION: 'two\n' });
  const { result: pushed, traffic } = await trafficDuring(s.config.httpPort, host(), push);
  assert.notEqual(pushed.code, 0, 'the push must fail');
  assert.match(pushed.output, /unhealthy/);
  assert.match(pushed.output, /v2 failed; removing its containers — v1 keeps serving/);
  assert.deepEqual(traffic.failures, []);
  assert.ok(traffic.bodies.every((b) => b.startsWith('web one ')), traffic.bodies.join(''));

  const [v2] = await releases();
  assert.equal(v2!.version, 2);
  assert.equal(v2!.status, 'failed');
  assert.match(v2!.error ?? '', /unhealthy/);
  assert.deepEqual((await ps()).map((r) => r.release).sort(), ['v1', 'v1']);
  await eventually('the v1 worker writes again', async () => /worker=v1 /.test(await served()));
});

test('config:set makes a new release that takes over on the other color with no failed request', async () => {
  await repo.commit('healthy again', { HEALTH: 'ok\n', VERSION: 'three\n' });
  assert.equal((await push()).code, 0);
  assert.deepEqual(webColors(await ps()), ['green']);

  // A request that takes 4 s is in flight on the old color when traffic moves: it finishes.
  const slow = getViaProxy(s.config.httpPort, host(), '/slow?ms=4000', false, 60_000);
  await new Promise((r) => setTimeout(r, 200));
  const { result, traffic } = await trafficDuring(s.config.httpPort, host(), () => s.cli(['config:set', app, 'GREETING=hello']));
  assert.deepEqual(await slow, { status: 200, body: 'slow three done\n' });
  assert.match(result.stdout, /v3 drained in \d+\.\d s/);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /Set GREETING: release v4/);
  assert.match(result.stdout, /v4: web switched to blue/);
  assert.deepEqual(traffic.failures, []);
  assert.ok(traffic.total > 0);
  // The compose file's ${GREETING} follows the config too.
  assert.match(await served(), /^web three greeting=hello .* banner=banner-hello$/m);
  assert.deepEqual(webColors(await ps()), ['blue']);
});

test('scale web=2 runs two web replicas, both taking traffic', async () => {
  const { result, traffic } = await trafficDuring(s.config.httpPort, host(), () => s.cli(['scale', app, 'web=2']));
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /v5: web green 2\/2 healthy/);
  assert.deepEqual(traffic.failures, []);
  const web = (await ps()).filter((r) => r.service === 'web');
  assert.deepEqual(web.map((r) => [r.release, r.state]), [['v5', 'running'], ['v5', 'running']]);
  const replicas = new Set<string>();
  for (let i = 0; i < 20 && replicas.size < 2; i++) replicas.add(/replica=(\S+)/.exec(await served())![1]!);
  assert.deepEqual([...replicas].sort(), ['web.1', 'web.2']);
});

test('rollback to v1 brings back its image, config and scale as a new release, without a build', async () => {
  const { result, traffic } = await trafficDuring(s.config.httpPort, host(), () => s.cli(['rollback', app, 'v1']));
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /Rollback to v1: release v6 \(image .*no build\)/);
  assert.doesNotMatch(result.stdout, /Building|Step \d/);
  assert.deepEqual(traffic.failures, []);
  await eventually('v1 code with v1 config serves', async () => /^web one greeting=from-env-file worker=v6 .* banner=banner-unset$/m.test(await served()));
  assert.equal((await ps()).filter((r) => r.service === 'web').length, 1);

  const list = await s.cli(['releases', app]);
  assert.match(list.stdout, /v6\s.*Rollback to v1/);
  assert.deepEqual((await releases()).map((r) => [r.version, r.status]), [
    [6, 'active'], [5, 'superseded'], [4, 'superseded'], [3, 'superseded'], [2, 'failed'], [1, 'superseded'],
  ]);
});

test('an invalid compose file is refused with each key and line at fault; the running release stays', async () => {
  const compose = [
    'services:', //                  1
    '  web:', //                     2
    '    build: .', //               3
    '    ports: ["3000"]', //        4
    '    links: [db]', //            5
    '    privileged: true', //       6
    '    shm_size: 1g', //           7
    '  db:', //                      8
    '    image: postgres', //        9
    '    volumes:', //               10
    '      - /etc:/host-etc', //     11
  ].join('\n');
  await repo.commit('bad compose', { 'docker-compose.yml': compose + '\n' });
  const pushed = await push();
  assert.notEqual(pushed.code, 0);
  assert.match(pushed.output, /docker-compose\.yml:5:5: services\.web\.links: not supported by Slipway/);
  assert.match(pushed.output, /docker-compose\.yml:6:5: services\.web\.privileged: not allowed \(set SLIPWAY_ALLOW_PRIVILEGED=1/);
  assert.match(pushed.output, /docker-compose\.yml:7:5: services\.web\.shm_size: not supported by Slipway/);
  assert.match(pushed.output, /docker-compose\.yml:11:\d+: services\.db\.volumes\[0\]: host bind mounts are not allowed/);
  // Refused before any build step ran.
  assert.doesNotMatch(pushed.output, /Step 1\/|Pushing v/);
  assert.match(await served(), /^web one greeting=from-env-file /);
  assert.equal((await releases())[0]!.version, 6);
});
