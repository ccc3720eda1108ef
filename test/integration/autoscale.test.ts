// Elastic scaling as a user lives it, with short windows: a CPU-bound app under bounded loopback
// load (limits low enough that a replica crosses them on a machine busy with other work) scales out from 1 replica and, once the load stops, back to 1 — min/max never crossed, no
// request failed; a deploy that arrives during a scale-out starts the new color with the count
// the scale-out reached, and the autoscaler waits for it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { startLoad } from '../helpers/load.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
let app: string;
let repo: Repo;
const host = () => `${app}.${s.config.appsDomain}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PsRow { service: string; release: string; state: string; color: string | null }
interface DeployRow { id: number; trigger: string; status: string; createdAt: string; startedAt: string | null; finishedAt: string | null }
interface Scaling { services: { service: string; replicas: number }[]; events: { from: number; to: number; outcome: string; reason: string; metrics: Record<string, number> }[] }

const ps = async () => (await (await s.api(`/api/apps/${app}/ps`)).json()) as PsRow[];
const deploys = async () => (await (await s.api(`/api/apps/${app}/deploys`)).json()) as DeployRow[];
const scaling = async () => (await (await s.api(`/api/apps/${app}/autoscale`)).json()) as Scaling;
const replicas = async () => (await scaling()).services.find((x) => x.service === 'web')!.replicas;

/** Watches the recorded count and the running web replicas of each release, every 200 ms. */
function watchBounds() {
  const seen = { min: Infinity, max: 0, perRelease: 0 };
  let on = true;
  const loop = (async () => {
    while (on) {
      const n = await replicas().catch(() => null);
      if (n !== null) {
        seen.min = Math.min(seen.min, n);
        seen.max = Math.max(seen.max, n);
      }
      const byRelease = new Map<string, number>();
      for (const r of await ps().catch(() => [] as PsRow[])) if (r.service === 'web' && r.state === 'running') byRelease.set(r.release, (byRelease.get(r.release) ?? 0) + 1);
      seen.perRelease = Math.max(seen.perRelease, ...byRelease.values(), 0);
      await sleep(200);
    }
  })();
  return { seen, stop: async () => ((on = false), await loop, seen) };
}

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(250);
  }
  assert.fail(`never happened within ${ms / 1000} s: ${what}`);
}

before(async () => {
  s = await startTestServer({
    drainSeconds: 10,
    metricsInterval: 0.5,
    autoscaleInterval: 1000,
    autoscaleWindow: 2000,
    autoscaleSamples: 3,
    autoscaleCooldown: 3000,
    autoscaleStabilization: 5000,
  });
  app = uniqueName('as');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
  repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/cpu-app'));
  await repo.commit('v1');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
});

after(async () => {
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

test('under load the app scales out from 1 replica, and back to 1 once the load stops; no request fails, min/max never crossed', async () => {
  assert.equal(await replicas(), 1);
  const bounds = watchBounds();
  const load = startLoad(s.config.httpPort, host(), 6, 180_000);
  await until('a second replica serves', async () => (await replicas()) >= 2 && load.firstSeen.size >= 2, 150_000);
  await sleep(2000);
  const traffic = await load.stop();
  await until('back to 1 replica', async () => (await replicas()) === 1 && (await ps()).filter((r) => r.service === 'web').length === 1, 120_000);
  const seen = await bounds.stop();

  assert.deepEqual(traffic.failures, [], `${traffic.failures.length} of ${traffic.total} requests failed`);
  assert.ok(traffic.total > 0);
  assert.ok(seen.max >= 2 && seen.max <= 3, `replicas went up to ${seen.max} (max_instances 3)`);
  assert.ok(seen.min >= 1, `replicas went down to ${seen.min} (min_instances 1)`);
  assert.ok(seen.perRelease <= 3, `${seen.perRelease} web replicas of one release ran at once`);

  const { events } = await scaling();
  const done = events.filter((e) => e.outcome === 'done').reverse();
  assert.deepEqual([done[0]!.from, done[0]!.to], [1, 2]);
  assert.match(done[0]!.reason, /cpu [\d.]+ % > max_cpu 6 for 3 looks in a row/);
  assert.ok(done[0]!.metrics.cpu! > 6);
  assert.equal(done.at(-1)!.to, 1);
  assert.match(done.at(-1)!.reason, /cpu [\d.]+ % < min_cpu 1.5 for \d+ s/);
  const shown = await s.cli(['autoscale', app]);
  assert.match(shown.stdout, /web +1 replica +max_cpu=6 min_cpu=1.5 step=1 instances 1–3/);
  assert.match(shown.stdout, /web 1 → 2 +done +cpu [\d.]+ % > max_cpu 6/);
  // No new release: the scale changes happened in place.
  assert.equal((await deploys()).filter((d) => d.trigger !== 'autoscale').length, 1);

  // HAProxy's counters for the app reached /metrics, with response-time percentiles.
  const families = parsePrometheus(await (await s.api('/metrics')).text());
  const requests = families.find((f) => f.name === 'slipway_http_requests_total')!.metrics.find((m) => m.labels?.app === app && m.labels.code === '2xx')!;
  assert.ok(Number(requests.value) >= traffic.total * 0.9, `${requests.value} 2xx counted of ${traffic.total}`);
  const view = (await (await s.api(`/api/apps/${app}/metrics?since=10m&points=20`)).json()) as { services: { service: string; series: Record<string, (number | null)[]> }[] };
  const web = view.services.find((x) => x.service === 'web')!;
  assert.ok(web.series.p95!.some((v) => v !== null && v >= 15), 'p95 response time over the 15 ms each request burns');
  assert.ok(Math.max(...web.series.replicas!.map((v) => v ?? 0)) >= 2);
});

test('a deploy during a scale-out starts the new color with the count the scale-out reached; the autoscaler waits for it', async () => {
  const set = await s.cli(['autoscale:set', app, 'web', 'max_instances=2']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /"maxInstances":2/);
  const bounds = watchBounds();
  const load = startLoad(s.config.httpPort, host(), 6, 180_000);
  await until('the autoscaler asks for a scale-out', async () => (await deploys()).some((d) => d.trigger === 'autoscale' && ['queued', 'running'].includes(d.status)), 150_000);
  const config = await s.cli(['config:set', app, 'GREETING=during-scale-out']);
  assert.equal(config.code, 0, config.stdout + config.stderr);
  assert.match(config.stdout, /starting web (blue|green) × 2/);
  const newRelease = `v${/release v(\d+)/.exec(config.stdout)![1]}`;
  assert.deepEqual((await ps()).filter((r) => r.service === 'web').map((r) => r.release), [newRelease, newRelease]);
  assert.equal(await replicas(), 2);
  // Nothing was scaled while the config deploy ran.
  const all = await deploys();
  const cfg = all.find((d) => d.trigger === 'config')!;
  assert.ok(!all.some((d) => d.trigger === 'autoscale' && d.createdAt > cfg.startedAt! && d.createdAt < cfg.finishedAt!), 'no autoscale asked for during the deploy');

  await sleep(3000);
  const traffic = await load.stop();
  await until('back to 1 replica', async () => (await replicas()) === 1, 120_000);
  const seen = await bounds.stop();
  assert.deepEqual(traffic.failures, [], `${traffic.failures.length} of ${traffic.total} requests failed`);
  assert.ok(seen.max <= 2 && seen.min >= 1, `replicas ${seen.min}–${seen.max} (bounds 1–2)`);
  assert.ok(seen.perRelease <= 2);
});
