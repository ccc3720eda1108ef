// Zero-downtime benchmark: keep-alive load from wrk through HAProxy against an app while it is
// deployed 20 times in a row (alternating two versions, each a real `git push`) and then
// rolled back 5 times. Prints total requests, failed requests (non-2xx + socket errors) and
// the per-switch time. The figure that matters: 0 failed requests — the bench exits 1 when any
// request failed (or a deploy did), 2 when wrk or a daemon is missing; it removes its app and
// server whatever happens.
// Run: npx tsx bench/zero-downtime.ts [deploys=20] [rollbacks=5]   (needs wrk: `npm run up` installs it)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoFrom, pushUrl } from '../test/helpers/git.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../test/helpers/server.js';
import { GIT, HAPROXY, WRK, requireAll } from './lib/needs.js';

const run = promisify(execFile);
const DEPLOYS = Number(process.argv[2] ?? 20);
const ROLLBACKS = Number(process.argv[3] ?? 5);

interface WrkResult {
  requests: number;
  non2xx: number;
  socketErrors: number;
}

/** One wrk run; parses its summary. */
async function wrk(port: number, host: string, seconds: number): Promise<WrkResult> {
  const { stdout } = await run('wrk', ['-t2', '-c20', `-d${seconds}s`, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  if (!Number.isFinite(requests)) throw new Error(`could not read wrk's summary:\n${stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { requests, non2xx, socketErrors };
}

async function main(): Promise<number> {
  await requireAll('zero-downtime', [WRK, HAPROXY, GIT, { service: 'docker' }, { service: 'redis' }, { service: 'registry' }]);
  let s: TestServer | undefined;
  let app = '';
  let loading = false;
  let load: Promise<void> = Promise.resolve();
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

    loading = true;
    const totals: WrkResult = { requests: 0, non2xx: 0, socketErrors: 0 };
    load = (async () => {
      while (loading) {
        const r = await wrk(server.config.httpPort, `${app}.${server.config.appsDomain}`, 5);
        totals.requests += r.requests;
        totals.non2xx += r.non2xx;
        totals.socketErrors += r.socketErrors;
      }
    })();

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
    loading = false;
    await load;

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
    loading = false;
    await load.catch(() => undefined);
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
