// Autoscale benchmark: a CPU-bound app (test/fixtures/apps/cpu-app) at 1 replica gets bounded
// loopback load through HAProxy; prints the time from load start until a second replica answers
// requests, the time from load stop until it is back to 1 replica, and failed requests (goal 0).
// Windows are short so the run takes minutes, not the default's quarter hour; they are printed.
// Run: npx tsx bench/autoscale.ts [interval=5s] [window=10s] [cooldown=20s] [stabilization=30s]
import path from 'node:path';
import { repoFrom, pushUrl } from '../test/helpers/git.js';
import { startLoad } from '../test/helpers/load.js';
import { ROOT, startTestServer, uniqueName } from '../test/helpers/server.js';
import { parseDurationMs } from '../src/config.js';
import { HAPROXY, requireAll } from './lib/needs.js';

const [interval = 5000, window = 10_000, cooldown = 20_000, stabilization = 30_000] = [process.argv[2] ?? '5s', process.argv[3] ?? '10s', process.argv[4] ?? '20s', process.argv[5] ?? '30s'].map((d) => parseDurationMs(d)!);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  await requireAll('autoscale', [HAPROXY, { service: 'docker' }, { service: 'redis' }, { service: 'registry' }]);
  const s = await startTestServer({
    drainSeconds: 30,
    metricsInterval: 1,
    autoscaleInterval: interval,
    autoscaleWindow: window,
    autoscaleSamples: 3,
    autoscaleCooldown: cooldown,
    autoscaleStabilization: stabilization,
  });
  const app = uniqueName('bas');
  const host = `${app}.${s.config.appsDomain}`;
  try {
    await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) });
    const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/cpu-app'));
    await repo.commit('v1');
    const pushed = await repo.push(pushUrl(s.url, s.token, app));
    if (pushed.code !== 0) throw new Error(pushed.output);
    const replicas = async () =>
      ((await (await s.api(`/api/apps/${app}/autoscale`)).json()) as { services: { replicas: number }[] }).services[0]!.replicas;

    const t0 = Date.now();
    const load = startLoad(s.config.httpPort, host, 8, 300_000);
    while (load.firstSeen.size < 2 && Date.now() - t0 < 300_000) await sleep(100);
    const serving = load.firstSeen.size >= 2 ? (Math.max(...load.firstSeen.values()) - t0) / 1000 : NaN;
    await sleep(5000);
    const traffic = await load.stop();
    const peak = await replicas();
    const t1 = Date.now();
    while ((await replicas()) > 1 && Date.now() - t1 < 300_000) await sleep(500);
    const back = (Date.now() - t1) / 1000;
    const events = ((await (await s.api(`/api/apps/${app}/autoscale`)).json()) as { events: { from: number; to: number; reason: string; createdAt: string }[] }).events.reverse();

    console.log(`\nautoscale: cpu-app (15 ms of CPU per request, max_cpu 6 %, min_cpu 1.5 %, 1–3 replicas), 8 keep-alive clients through HAProxy`);
    console.log(`  settings            look every ${interval / 1000} s over ${window / 1000} s, 3 looks in a row, cool-down ${cooldown / 1000} s, scale-in after ${stabilization / 1000} s`);
    console.log(`  load start → 2nd replica serving   ${serving.toFixed(1)} s   (expected ≈ window + 3 looks + container start + health)`);
    console.log(`  replicas at load stop              ${peak}`);
    console.log(`  load stop → back to 1 replica      ${back.toFixed(1)} s`);
    console.log(`  requests ${traffic.total}, failed ${traffic.failures.length}${traffic.failures.length ? `: ${traffic.failures.slice(0, 3).join('; ')}` : ''}`);
    for (const e of events) console.log(`  ${e.createdAt.slice(11, 19)}  ${e.from} → ${e.to}  ${e.reason}`);
  } finally {
    await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
    await s.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
