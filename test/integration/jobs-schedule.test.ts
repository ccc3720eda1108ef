// A seconds-level schedule on the real engine under `forbid`, with a task longer than its
// period: runs never overlap, the ticks that found the previous run going are recorded skipped,
// each scheduled time has one row, and `slipway cron` shows the schedule and its last result.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { scheduledCompose } from '../helpers/jobs.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
let app: string;

interface Run { id: number; state: string; reason: string | null; scheduledAt: string; startedAt: string; finishedAt: string | null; trigger: string }

before(async () => {
  s = await startTestServer();
  app = uniqueName('cron');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});
after(async () => {
  await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

test('every 2 s under forbid with a 5 s task: no overlap, skips recorded, one row per scheduled time', async () => {
  const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/batch-app'), {
    'compose.yaml': scheduledCompose('*/2 * * * * *', 5, { 'slipway.schedule.concurrency': 'forbid', 'slipway.job.remove_containers': 'remove-all' }),
  });
  await repo.commit('cron');
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  // Let it tick for a while, then suspend and let the last run end.
  await new Promise((r) => setTimeout(r, 14_000));
  const suspended = await s.cli(['cron:suspend', app]);
  assert.equal(suspended.code, 0, suspended.stderr);
  let runs: Run[] = [];
  for (;;) {
    runs = (await (await s.api(`/api/apps/${app}/runs?limit=200`)).json()) as Run[];
    if (!runs.some((r) => r.state === 'running')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  runs.reverse();
  const ran = runs.filter((r) => r.state === 'succeeded');
  const skipped = runs.filter((r) => r.state === 'skipped');
  assert.ok(ran.length >= 2, JSON.stringify(runs, null, 1));
  assert.ok(skipped.length >= 2, JSON.stringify(runs, null, 1));
  assert.ok(runs.every((r) => r.trigger === 'schedule'));
  for (const r of skipped) assert.match(r.reason!, /of this schedule was still running \(concurrency: forbid\)/);
  // No overlap: each run started after the previous one finished.
  for (let i = 1; i < ran.length; i++) assert.ok(Date.parse(ran[i]!.startedAt) >= Date.parse(ran[i - 1]!.finishedAt!), `${ran[i - 1]!.id} and ${ran[i]!.id} overlap`);
  // One row per scheduled time, each on the 2-second grid, and no tick left out in between.
  const times = runs.map((r) => Date.parse(r.scheduledAt));
  assert.equal(new Set(times).size, times.length);
  assert.ok(times.every((t) => t % 2000 === 0));
  for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 2000, `ticks ${runs[i - 1]!.scheduledAt} → ${runs[i]!.scheduledAt}`);

  const cron = await s.cli(['cron', app]);
  assert.match(cron.stdout, /tick\s+\*\/2 \* \* \* \* \*\s+UTC\s+all jobs\s+forbid\s+\(suspended\)/);
  const logs = await s.cli(['logs', app, '--run', String(ran[0]!.id)]);
  assert.match(logs.stdout, new RegExp(`tick ${ran[0]!.id}`));
});
