// A failed rollout leaves nothing behind: a compose app whose new worker exits 3 a second after
// starting (no health check, so only staying up shows it started well) fails the deploy, and
// afterwards only the old release's containers exist — also those of services that were still
// starting, or already running, when the worker died.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDocker } from '../../src/docker/client.js';
import { Containers } from '../../src/docker/containers.js';
import { imagesLabelled, removeImage } from '../../src/docker/images.js';
import { pushUrl, repoFrom, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
let app: string;
let repo: Repo;

before(async () => {
  // The settle time counts from Docker's "running", before node has even loaded on a busy
  // machine: 20 s (default 3) leaves room for node's start plus the crasher's one second.
  s = await startTestServer({ settleSeconds: 20 });
  app = uniqueName('failroll');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/compose-app'));
  // Web checked by its port, not the fixture's 3 s Docker healthcheck (`node -e` alone can take
  // that long on a busy machine).
  const compose = readFileSync(path.join(repo.dir, 'docker-compose.yml'), 'utf8').replace(/ {4}healthcheck:\n( {6}.*\n)+/, '');
  await repo.commit('v1', { 'docker-compose.yml': compose });
  const first = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(first.code, 0, first.output);
});
after(async () => {
  await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  const docker = createDocker(s.config);
  for (const id of await imagesLabelled(docker, 'slipway.app', app).catch(() => [])) await removeImage(docker, id, true).catch(() => undefined);
  await s?.stop();
});

const COMPOSE_V2 = `services:
  web:
    build: .
    command: ["node", "web.js"]
    ports: ["3000"]
    env_file: web.env
    volumes: [shared:/data]
    depends_on: [worker]
  worker:
    build: .
    command: ["node", "worker.js"]
    volumes: [shared:/data]
  crasher:
    build: .
    command: ["node", "-e", "console.log('crasher up'); setTimeout(() => { console.log('crasher giving up'); process.exit(3); }, 1000)"]
  steady:
    build: .
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    deploy:
      replicas: 2
volumes:
  shared: {}
`;

test('a worker that exits 3 one second after starting fails the deploy; only the old release\'s containers remain', async () => {
  await repo.commit('v2 with a crashing worker', { 'docker-compose.yml': COMPOSE_V2, VERSION: 'two\n' });
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.notEqual(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /_crasher_v2_1 (exited with code 3|crashed and is restarting( \(last exit code 3\))?) before it was healthy/);
  assert.match(pushed.output, /crasher giving up/);

  const left = await new Containers(createDocker(s.config)).listContainers({ app, all: true });
  assert.deepEqual([...new Set(left.map((c) => c.release))], [1], JSON.stringify(left.map((c) => `${c.name} ${c.state}`)));
  assert.deepEqual(left.map((c) => c.service).sort(), ['web', 'worker']);
  assert.match((await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body, /^web one /);
  const [d] = (await (await s.api(`/api/apps/${app}/deploys`)).json()) as { status: string }[];
  assert.equal(d?.status, 'failed');
});
