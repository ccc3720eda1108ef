// Zero-downtime benchmark: keep-alive load from wrk through HAProxy against an app while it is
// deployed 20 times in a row (alternating two versions, each a real `git push`) and then
// rolled back 5 times. Prints total requests, failed requests (non-2xx + socket errors) and
// the per-switch time. The figure that matters: 0 failed requests — the bench exits 1 when any
// request failed (or a deploy did), 2 when wrk or a daemon is missing; it removes its app and
// server whatever happens.
// Run: npx tsx bench/zero-downtime.ts [deploys=20] [rollbacks=5]   (needs wrk: `npm run up` installs it)
// With --swarm: the same on a 3-node swarm (test/helpers/swarm.ts), beside Swarm's own
// `docker service update` of the same app (see bench/zero-downtime-swarm.ts).
import path from 'node:path';
import { repoFrom, pushUrl } from '../test/helpers/git.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../test/helpers/server.js';
import { loadUntilStopped, type WrkResult } from './lib/keepalive.js';
import { GIT, HAPROXY, WRK, requireAll } from './lib/needs.js';
import { swarmBench } from './zero-downtime-swarm.js';

const SWARM = process.argv.includes('--swarm');
const args = process.argv.slice(2).filter((a) => a !== '--swarm');
const DEPLOYS = Number(args[0] ?? (SWARM ? 6 : 20));
const ROLLBACKS = Number(args[1] ?? (SWARM ? 2 : 5));

async function main(): Promise<number> {
  await requireAll('zero-downtime', [WRK, HAPROXY, GIT, { service: 'docker' }, { service: 'redis' }, { service: 'registry' }]);
  if (SWARM) return swarmBench(DEPLOYS, ROLLBACKS);
  let s: TestServer | undefined;
  let app = '';
  let load: { stop(): Promise<WrkResult> } | undefined;
  try {
    // The default drain limit: the old color stops as soon as HAProxy counts no request on it.
    s = await startTestServer({ drainSeconds: 30 });
    const server = s;
    app = uniqueName('zdt');
    await server.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) });
    const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/node-procfile'));
    const url = pushUrl(server.url, server.token, app);
    const shaA = await repo.commit('version A', { VERSION: 'A\n' });
    const shaB = await repo.commit('version B', { VERSION: 'B\n' });
    const first = await repo.push(url, `${shaA}:refs/heads/main`, ['--force']);
    if (first.code !== 0) throw new Error(first.output);

    load = loadUntilStopped(`http://127.0.0.1:${server.config.httpPort}/`, `${app}.${server.config.appsDomain}`);
    const switchTimes: number[] = [];
    /** The proxy switch itself (Runtime API commands), as the rollout reports it. */
    const switchMs: number[] = [];
    const msOf = (out: string) => [...out.matchAll(/switched to \w+ \((\d+) ms\)/g)].forEach((m) => switchMs.push(Number(m[1])));
    const timeOf = (out: string) => Number(/\(([\d.]+) s\)/.exec(out.split('\n').reverse().find((l) => / s\)/.test(l)) ?? '')?.[1] ?? NaN);
    for (let i = 0; i < DEPLOYS; i++) {
      const sha = i % 2 === 0 ? shaB : shaA;
      const res = await repo.push(url, `${sha}:refs/heads/main`, ['--force']);
      if (res.code !== 0) throw new Error(`deploy ${i + 1} failed:\n${res.output}`);
      switchTimes.push(timeOf(res.output));
      msOf(res.output);
      process.stdout.write(`deploy ${i + 1}/${DEPLOYS} ok\r`);
    }
    for (let i = 0; i < ROLLBACKS; i++) {
      const res = await server.cli(['rollback', app]);
      if (res.code !== 0) throw new Error(`rollback ${i + 1} failed:\n${res.stdout}${res.stderr}`);
      switchTimes.push(timeOf(res.stdout));
      msOf(res.stdout);
      process.stdout.write(`rollback ${i + 1}/${ROLLBACKS} ok\r`);
    }
    const totals = await load.stop();
    load = undefined;

    const failed = totals.non2xx + totals.socketErrors;
    const valid = switchTimes.filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
    const pct = (p: number) => valid[Math.min(valid.length - 1, Math.floor((p / 100) * valid.length))];
    console.log(`\nzero-downtime: ${DEPLOYS} deploys + ${ROLLBACKS} rollbacks under wrk -t2 -c20 keep-alive through HAProxy`);
    console.log(`  total requests      ${totals.requests}`);
    console.log(`  failed requests     ${failed}  (non-2xx ${totals.non2xx}, socket errors ${totals.socketErrors})`);
    console.log(`  rollout time (start new color → old drained) p50 ${pct(50)?.toFixed(1)} s, max ${valid.at(-1)?.toFixed(1)} s, n=${valid.length}`);
    switchMs.sort((a, b) => a - b);
    console.log(`  traffic switch (Runtime API)                  p50 ${switchMs[Math.floor(switchMs.length / 2)]} ms, max ${switchMs.at(-1)} ms, n=${switchMs.length}`);
    if (failed > 0 || totals.requests === 0) {
      console.log(`FAIL: ${failed} of ${totals.requests} requests failed (zero-downtime means 0)`);
      return 1;
    }
    return 0;
  } finally {
    await load?.stop().catch(() => undefined);
    if (s && app) await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
    await s?.stop().catch((e: unknown) => console.error('could not stop the bench server:', e));
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
