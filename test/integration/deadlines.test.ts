// No app holds up another, and no deploy runs forever: app A's build hangs (`RUN sleep`) past the
// build limit while app B deploys and serves; A then fails with a message naming the step and
// the limit, the build is stopped, and A's old release still serves.
// The apps' first releases are built by a server without the short limit; a second server on the
// same data (as after a restart) has it, so only the builds under test are bounded by it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, removeImage } from '../../src/docker/images.js';
import { pushUrl, repoFrom, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/apps/dockerfile-node');
const LIMIT = 45;
const SLEEP = 617; // seconds; unique enough to find the build's container by its command
let s: TestServer;
const apps: { name: string; repo: Repo }[] = [];

async function deployFirst(server: TestServer, prefix: string): Promise<{ name: string; repo: Repo }> {
  const name = uniqueName(prefix);
  assert.equal((await server.api('/api/apps', { method: 'POST', body: JSON.stringify({ name }) })).status, 201);
  const repo = await repoFrom(FIXTURE);
  await repo.commit('v1', { VERSION: `${prefix}-one\n` });
  const pushed = await repo.push(pushUrl(server.url, server.token, name));
  assert.equal(pushed.code, 0, pushed.output);
  const app = { name, repo };
  apps.push(app);
  return app;
}

const served = async (app: string) => (await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body;

before(async () => {
  const first = await startTestServer();
  try {
    await deployFirst(first, 'dla');
    await deployFirst(first, 'dlb');
  } finally {
    await first.close();
  }
  s = await startTestServer({ dataDir: first.dataDir, queuePrefix: first.config.queuePrefix, httpPort: first.config.httpPort, buildTimeoutSeconds: LIMIT });
});
after(async () => {
  const docker = createDocker(s.config);
  for (const { name } of apps) {
    await s.api(`/api/apps/${name}?confirm=${name}`, { method: 'DELETE' }).catch(() => undefined);
    for (const id of await imagesLabelled(docker, 'slipway.app', name).catch(() => [])) await removeImage(docker, id, true).catch(() => undefined);
  }
  await s?.stop();
});

/** `git push` in the background: resolves `reached` when the output matches, `finished` at exit. */
function push(repo: Repo, app: string, marker: RegExp) {
  const child = spawn('git', ['push', pushUrl(s.url, s.token, app), 'main'], { cwd: repo.dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  let output = '';
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const watch = (c: Buffer) => {
    output += c.toString();
    if (marker.test(output)) reach();
  };
  child.stdout.on('data', watch);
  child.stderr.on('data', watch);
  const finished = new Promise<{ code: number; output: string }>((r) => child.on('close', (code) => r({ code: code ?? 1, output })));
  return { reached: Promise.race([reached, finished.then((f) => assert.fail(`push ended before ${marker}:\n${f.output}`))]), finished };
}

test("a build that hangs past SLIPWAY_BUILD_TIMEOUT fails naming the step and limit, is stopped, and holds up no other app", async () => {
  const [a, b] = apps as [{ name: string; repo: Repo }, { name: string; repo: Repo }];
  const dockerfile = readFileSync(path.join(FIXTURE, 'Dockerfile'), 'utf8').replace('COPY . .', `RUN sleep ${SLEEP}\nCOPY . .`);
  await a.repo.commit('hangs', { Dockerfile: dockerfile, VERSION: 'dla-two\n' });
  const hung = push(a.repo, a.name, new RegExp(`RUN sleep ${SLEEP}`));
  await hung.reached;

  // While A's build sleeps, B deploys and serves.
  await b.repo.commit('v2', { VERSION: 'dlb-two\n' });
  const pushedB = await b.repo.push(pushUrl(s.url, s.token, b.name));
  assert.equal(pushedB.code, 0, pushedB.output);
  assert.match(await served(b.name), /dlb-two/);

  const resultA = await hung.finished;
  assert.notEqual(resultA.code, 0, 'the push of the hung build is rejected');
  assert.match(resultA.output, new RegExp(`the build took longer than its limit of ${LIMIT} s \\(SLIPWAY_BUILD_TIMEOUT\\) and was stopped`));
  assert.match(await served(a.name), /dla-one/, "A's old release still serves");
  const [d] = (await (await s.api(`/api/apps/${a.name}/deploys`)).json()) as { status: string; error: string }[];
  assert.equal(d?.status, 'failed');
  assert.match(d?.error ?? '', /SLIPWAY_BUILD_TIMEOUT/);
  // The Engine stopped the build: nothing runs the sleep any more.
  const docker = createDocker(s.config);
  for (let i = 0; i < 50; i++) {
    const left = (await docker.listContainers({ all: true })).filter((c) => c.Command.includes(`sleep ${SLEEP}`));
    if (!left.length) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('the build container still runs');
});
