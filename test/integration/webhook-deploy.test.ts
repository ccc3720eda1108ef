// Webhook deploys end to end: a signed GitHub or GitLab push delivery to a real Slipway server
// queues a deploy of the app's connected repository (a bare repo over file://), which builds
// and serves the pushed commit through HAProxy; redeliveries and bad signatures start nothing;
// a queued deploy survives Slipway and Redis restarts; commit statuses reach the host's API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, removeImage } from '../../src/docker/images.js';
import { repoFrom, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { privateRedis } from '../helpers/redis.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';
import { deliver, deliverGithub, fakeStatusApi, fixturePayload, githubPush, gitlabPush, type Delivered, type FakeStatusApi } from '../helpers/webhooks.js';

const run = promisify(execFile);
const STATIC_SITE = path.join(ROOT, 'test/fixtures/apps/static-site');
const STATUS_TOKEN = 'ghp_statusTokenForTheFakeHost';

let s: TestServer;
let statusApi: FakeStatusApi;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

before(async () => {
  statusApi = await fakeStatusApi();
  s = await startTestServer({ statusApiUrl: statusApi.base });
});
after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined);
  await s?.stop();
  await statusApi?.close();
});

// ---- the user's side: an app, its repository, and the deliveries a host sends ----

interface Connected {
  app: string;
  secret: string;
  repo: Repo;
  bareUrl: string;
  /** Commits a new index.html with `marker` and pushes it to the bare repo; returns the sha. */
  publish(marker: string): Promise<string>;
}

async function connectedApp(server: TestServer, prefix: string, extra: Record<string, string> = {}): Promise<Connected> {
  const app = uniqueName(prefix);
  const created = await server.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) });
  assert.equal(created.status, 201, await created.text());
  cleanups.push(() => deleteApp(server, app));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-hook-repo-'));
  const bare = path.join(dir, 'bare.git');
  await run('git', ['init', '--bare', '-q', '-b', 'main', bare]);
  const repo = await repoFrom(STATIC_SITE);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => rmSync(repo.dir, { recursive: true, force: true }));
  const bareUrl = `file://${bare}`;
  const connect = await server.api(`/api/apps/${app}/connect`, { method: 'POST', body: JSON.stringify({ repo: bareUrl, branch: 'main', ...extra }) });
  assert.equal(connect.status, 200, await connect.text());
  const hooks = (await (await server.api(`/api/apps/${app}/webhooks`)).json()) as { secret: string; github: string };
  assert.match(hooks.github, new RegExp(`/webhooks/github/${app}$`));
  return {
    app,
    secret: hooks.secret,
    repo,
    bareUrl,
    async publish(marker) {
      const sha = await repo.commit(marker, { 'index.html': `<!doctype html><h1>${marker}</h1>\n` });
      const pushed = await repo.push(bareUrl, 'main');
      assert.equal(pushed.code, 0, pushed.output);
      return sha;
    },
  };
}

/** Removes the app (containers, route, network) and the images its builds left on this engine. */
/** A delivery to the app's GitHub endpoint, signed with its secret unless told otherwise. */
const hook = (server: TestServer, c: Connected, body: Buffer, o: { id?: string; event?: string; secret?: string } = {}): Promise<Delivered> =>
  deliverGithub(`${server.url}/webhooks/github/${c.app}`, o.secret ?? c.secret, body, o);

async function deleteApp(server: TestServer, app: string) {
  await server.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  const docker = createDocker(server.config);
  for (const id of await imagesLabelled(docker, 'slipway.app', app)) await removeImage(docker, id, true).catch(() => undefined);
}


interface Deploy {
  id: number;
  trigger: string;
  sha: string | null;
  status: string;
  releaseVersion: number | null;
  error: string | null;
}

const deploys = async (server: TestServer, app: string) => (await (await server.api(`/api/apps/${app}/deploys`)).json()) as Deploy[];

/** Polls the deploy list until deployment `id` has ended. Generous: a slow machine is not a failure. */
async function finished(server: TestServer, app: string, id: number, limitMs = 240_000): Promise<Deploy> {
  let last: Deploy | undefined;
  for (const end = Date.now() + limitMs; Date.now() < end; await sleep(500)) {
    last = (await deploys(server, app)).find((d) => d.id === id);
    if (last && !['queued', 'running'].includes(last.status)) return last;
  }
  throw new Error(`deployment ${id} of ${app} did not finish; last seen ${JSON.stringify(last)}`);
}

const served = async (server: TestServer, app: string) => getViaProxy(server.config.httpPort, `${app}.${server.config.appsDomain}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- GitHub, GitLab, refusals ----

test('a signed GitHub push deploys the pushed commit; a second push replaces it; a redelivery starts nothing', { timeout: 600_000 }, async () => {
  const c = await connectedApp(s, 'gh');
  const sha1 = await c.publish('first-by-github');
  const deliveryId = randomUUID();
  const first = await hook(s, c, githubPush(sha1, c.bareUrl), { id: deliveryId });
  assert.equal(first.status, 202, JSON.stringify(first.json));
  assert.equal(typeof first.json.deploymentId, 'number');
  const d1 = await finished(s, c.app, first.json.deploymentId!);
  assert.deepEqual([d1.status, d1.trigger, d1.sha, d1.releaseVersion], ['succeeded', 'webhook', sha1, 1], JSON.stringify(d1));
  const page1 = await served(s, c.app);
  assert.equal(page1.status, 200);
  assert.match(page1.body, /first-by-github/);

  const sha2 = await c.publish('second-by-github');
  const second = await hook(s, c, githubPush(sha2, c.bareUrl));
  assert.equal(second.status, 202, JSON.stringify(second.json));
  const d2 = await finished(s, c.app, second.json.deploymentId!);
  assert.deepEqual([d2.status, d2.sha], ['succeeded', sha2], JSON.stringify(d2));
  assert.match((await served(s, c.app)).body, /second-by-github/);

  // GitHub's "Redeliver" sends the same delivery id again: acknowledged, nothing queued.
  const before = await deploys(s, c.app);
  const again = await hook(s, c, githubPush(sha1, c.bareUrl), { id: deliveryId });
  assert.equal(again.status, 200, JSON.stringify(again.json));
  assert.equal(again.json.duplicate, true);
  assert.deepEqual(await deploys(s, c.app), before);
  assert.match((await served(s, c.app)).body, /second-by-github/, 'the redelivered old commit was not deployed');
});

test('a wrong signature is refused with 401 and queues nothing; a ping and other branches are acknowledged', async () => {
  const c = await connectedApp(s, 'ghbad');
  const sha = await c.publish('never-deployed');
  const forged = await hook(s, c, githubPush(sha, c.bareUrl), { secret: 'not-the-secret' });
  assert.equal(forged.status, 401);
  assert.match(forged.json.error ?? '', /X-Hub-Signature-256/);
  const unsigned = await deliver(`${s.url}/webhooks/github/${c.app}`, githubPush(sha, c.bareUrl), { 'x-github-event': 'push', 'x-github-delivery': randomUUID() });
  assert.equal(unsigned.status, 401);

  const ping = await hook(s, c, fixturePayload('github/ping-payload.json'), { event: 'ping' });
  assert.equal(ping.status, 200, JSON.stringify(ping.json));
  const feature = await hook(s, c, githubPush(sha, c.bareUrl, 'feature'));
  assert.equal(feature.status, 200, JSON.stringify(feature.json));
  assert.match(feature.json.ignored ?? '', /branch feature/);
  assert.deepEqual(await deploys(s, c.app), []);
});

test('a GitLab push hook with the right X-Gitlab-Token deploys the pushed commit; a wrong token is refused', { timeout: 600_000 }, async () => {
  const c = await connectedApp(s, 'gl');
  const sha = await c.publish('deployed-by-gitlab');
  const body = gitlabPush(sha, c.bareUrl);
  const headers = { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': randomUUID() };
  const wrong = await deliver(`${s.url}/webhooks/gitlab/${c.app}`, body, { ...headers, 'x-gitlab-token': 'wrong' });
  assert.equal(wrong.status, 401);
  assert.deepEqual(await deploys(s, c.app), []);

  const ok = await deliver(`${s.url}/webhooks/gitlab/${c.app}`, body, { ...headers, 'x-gitlab-token': c.secret });
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  const d = await finished(s, c.app, ok.json.deploymentId!);
  assert.deepEqual([d.status, d.sha], ['succeeded', sha], JSON.stringify(d));
  assert.match((await served(s, c.app)).body, /deployed-by-gitlab/);
});

// ---- replays ----

test('a captured delivery of an old commit, replayed with a new delivery id, is acknowledged and recorded but deploys nothing', { timeout: 600_000 }, async () => {
  const c = await connectedApp(s, 'replay');
  const sha1 = await c.publish('first-release');
  const captured = githubPush(sha1, c.bareUrl);
  const d1 = await finished(s, c.app, (await hook(s, c, captured)).json.deploymentId!);
  assert.equal(d1.status, 'succeeded', JSON.stringify(d1));
  const sha2 = await c.publish('second-release');
  const d2 = await finished(s, c.app, (await hook(s, c, githubPush(sha2, c.bareUrl))).json.deploymentId!);
  assert.equal(d2.status, 'succeeded', JSON.stringify(d2));
  const builds = (await (await s.api(`/api/apps/${c.app}/builds`)).json()) as unknown[];

  // The signature covers the body, not the delivery id: the same bytes with a fresh id verify.
  const replay = await hook(s, c, captured, { id: randomUUID() });
  assert.equal(replay.status, 202, JSON.stringify(replay.json));
  const d3 = await finished(s, c.app, replay.json.deploymentId!);
  assert.equal(d3.status, 'superseded', JSON.stringify(d3));
  assert.match(d3.error ?? '', new RegExp(`commit ${sha1.slice(0, 7)} is no longer the head of main \\(now ${sha2.slice(0, 7)}\\) and does not descend from the serving commit ${sha2.slice(0, 7)}`));
  assert.equal(((await (await s.api(`/api/apps/${c.app}/builds`)).json()) as unknown[]).length, builds.length, 'nothing was built');
  assert.match((await served(s, c.app)).body, /second-release/, 'the old commit was not put back');
});

test('one repository feeding two apps: the same delivery deploys each of them', { timeout: 600_000 }, async () => {
  const first = await connectedApp(s, 'feeda');
  const second = uniqueName('feedb');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: second }) })).status, 201);
  cleanups.push(() => deleteApp(s, second));
  const connect = await s.api(`/api/apps/${second}/connect`, { method: 'POST', body: JSON.stringify({ repo: first.bareUrl, branch: 'main' }) });
  assert.equal(connect.status, 200, await connect.text());
  const secret = ((await (await s.api(`/api/apps/${second}/webhooks`)).json()) as { secret: string }).secret;
  const sha = await first.publish('fed-to-both');
  const body = githubPush(sha, first.bareUrl);
  const id = randomUUID();
  const toFirst = await hook(s, first, body, { id });
  const toSecond = await deliverGithub(`${s.url}/webhooks/github/${second}`, secret, body, { id });
  assert.equal(toFirst.status, 202, JSON.stringify(toFirst.json));
  assert.equal(toSecond.status, 202, JSON.stringify(toSecond.json));
  for (const [app, r] of [[first.app, toFirst], [second, toSecond]] as const) {
    const d = await finished(s, app, r.json.deploymentId!);
    assert.deepEqual([d.status, d.sha], ['succeeded', sha], JSON.stringify(d));
    assert.match((await served(s, app)).body, /fed-to-both/);
  }
});

// ---- restarts ----

test('a webhook deploy queued while no worker runs is deployed by the next Slipway on the same data', { timeout: 600_000 }, async () => {
  // The first server takes the delivery but runs no deploys, as if it stopped right after the 202.
  const first = await startTestServer({}, { runDeploys: false });
  let second: TestServer | undefined;
  try {
    const c = await connectedApp(first, 'restart');
    const sha = await c.publish('survived-a-restart');
    const queued = await hook(first, c, githubPush(sha, c.bareUrl));
    assert.equal(queued.status, 202, JSON.stringify(queued.json));
    assert.equal((await deploys(first, c.app))[0]?.status, 'queued');
    await first.close();

    second = await startTestServer({ dataDir: first.dataDir, queuePrefix: first.config.queuePrefix, httpPort: first.config.httpPort });
    const d = await finished(second, c.app, queued.json.deploymentId!);
    assert.deepEqual([d.status, d.sha], ['succeeded', sha], JSON.stringify(d));
    assert.match((await served(second, c.app)).body, /survived-a-restart/);
    await deleteApp(second, c.app);
  } finally {
    if (second) await second.stop();
    else await first.stop();
  }
});

test('a queued webhook deploy survives Redis being killed and shut down, and deploys keep running after Redis restarts', { timeout: 600_000 }, async () => {
  const redis = await privateRedis();
  let second: TestServer | undefined;
  const first = await startTestServer({ redisUrl: redis.url }, { runDeploys: false });
  try {
    const c = await connectedApp(first, 'redis');
    const sha = await c.publish('survived-redis');
    const queued = await hook(first, c, githubPush(sha, c.bareUrl));
    assert.equal(queued.status, 202, JSON.stringify(queued.json));
    await first.close();
    const prefix = first.config.queuePrefix;
    assert.equal(await waitingJobs(redis.url, prefix), 1);

    // appendfsync always: the job was on disk before Redis answered the enqueue.
    await redis.kill();
    await redis.start();
    assert.equal(await waitingJobs(redis.url, prefix), 1, 'the job outlived SIGKILL');
    await redis.shutdown();
    await redis.start();
    assert.equal(await waitingJobs(redis.url, prefix), 1, 'the job outlived a clean shutdown');

    second = await startTestServer({ dataDir: first.dataDir, queuePrefix: prefix, httpPort: first.config.httpPort, redisUrl: redis.url });
    const d = await finished(second, c.app, queued.json.deploymentId!);
    assert.deepEqual([d.status, d.sha], ['succeeded', sha], JSON.stringify(d));
    assert.match((await served(second, c.app)).body, /survived-redis/);

    // Redis restarting under a running Slipway: the worker reconnects and the next push deploys.
    await redis.shutdown();
    await redis.start();
    const sha2 = await c.publish('after-redis-came-back');
    const next = await hook(second, c, githubPush(sha2, c.bareUrl));
    assert.equal(next.status, 202, JSON.stringify(next.json));
    const d2 = await finished(second, c.app, next.json.deploymentId!);
    assert.deepEqual([d2.status, d2.sha], ['succeeded', sha2], JSON.stringify(d2));
    assert.match((await served(second, c.app)).body, /after-redis-came-back/);
    await deleteApp(second, c.app);
  } finally {
    if (second) await second.stop();
    else await first.stop();
    await redis.stop();
  }
});

// ---- commit statuses ----

test('a webhook deploy of an app connected with a token reports its outcome on the commit; pending only once the commit is fetched', { timeout: 600_000 }, async () => {
  // A token is only ever sent over https, so this file:// app's fetch is refused and the deploy
  // fails. Pending goes out only once the fetched commit is known to be one to deploy (a replayed
  // old commit must not have its status reset), so here the host sees the failure alone; the
  // pending-then-success path (with the app URL) is covered in test/unit/queue/pipeline-status.test.ts.
  const c = await connectedApp(s, 'status', { token: STATUS_TOKEN });
  const sha = await c.publish('status-reported');
  const queued = await hook(s, c, githubPush(sha, c.bareUrl));
  assert.equal(queued.status, 202, JSON.stringify(queued.json));
  const d = await finished(s, c.app, queued.json.deploymentId!);
  assert.equal(d.status, 'failed', JSON.stringify(d));

  // Statuses go out in order: once the failure is seen, nothing else is on its way.
  const mine = await statusApi.until((seen) => seen.filter((r) => r.url.endsWith(`/statuses/${sha}`)), (list) => list.some((r) => r.body.state === 'failure'));
  assert.deepEqual(mine.map((r) => r.body.state), ['failure']);
  for (const r of mine) {
    assert.equal(r.method, 'POST');
    assert.equal(r.headers.authorization, `Bearer ${STATUS_TOKEN}`);
    assert.equal(r.body.context, 'slipway');
  }
  assert.match(String(mine[0]!.body.description), /^Deploy failed/);
  // Apps connected without a token (every other test here) never called the status API.
  assert.deepEqual(statusApi.seen.filter((r) => !r.url.endsWith(`/statuses/${sha}`)), []);
});

/** BullMQ's count of jobs waiting in Slipway's deploy queue ("deploys", src/queue/deploy-queue.ts). */
async function waitingJobs(redisUrl: string, prefix: string): Promise<number> {
  const u = new URL(redisUrl);
  const queue = new Queue('deploys', { connection: { host: u.hostname, port: Number(u.port) }, prefix });
  try {
    return await queue.getWaitingCount();
  } finally {
    await queue.close();
  }
}
