// Commit statuses from the pipeline: a webhook deploy tells the repository host pending, then
// success with the app's URL or failure; other triggers report nothing; a failing status
// reporter never fails or delays a deploy. Real state (SQLite in memory), stub stages.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Trigger } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { DeployDeadline } from '../../../src/deadline.js';
import { createPipeline, type CommitStatusReporter, type CommitStatusUpdate, type PipelineStages } from '../../../src/queue/pipeline.js';
import { openTestState } from '../../helpers/state.js';
import { stubStages } from '../../helpers/pipeline.js';

const SHA = 'a'.repeat(40);
// One temp root for the file, removed last: the pipeline's build-log streams open and close
// after a deploy has returned.
const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-pipeline-status-'));
after(async () => {
  await settle();
  rmSync(root, { recursive: true, force: true });
});

function harness(t: { after(fn: () => void): void }, o: { rollout?: PipelineStages['rollout']; report?: CommitStatusReporter } = {}) {
  const tmp = mkdtempSync(path.join(root, 'case-'));
  const state = openTestState();
  t.after(() => state.close());
  const app = state.apps.create('demo');
  const reports: { sha: string; app: string; update: CommitStatusUpdate }[] = [];
  const run = createPipeline({
    state,
    buildsDir: path.join(tmp, 'builds'),
    appUrl: (name) => `http://${name}.apps.test`,
    commitStatus:
      o.report ??
      (async (_d, a, sha, update) => {
        reports.push({ sha, app: a.name, update });
      }),
    stages: stubStages(tmp, o.rollout),
  });
  const deploy = (trigger: Trigger, sha: string | null = SHA) => run(state.deployments.create(app.id, { trigger, sha, ref: 'refs/heads/main' }), () => undefined, new DeployDeadline(600));
  return { run, deploy, reports };
}

/** Reports go out off the deploy's path; let them drain. */
const settle = () => new Promise((r) => setTimeout(r, 20));

test('a successful webhook deploy reports pending, then success linking the app', async (t) => {
  const h = harness(t);
  assert.deepEqual(await h.deploy('webhook'), { release: 1 });
  await settle();
  assert.deepEqual(
    h.reports.map((r) => [r.sha, r.app, r.update.state, r.update.targetUrl]),
    [
      [SHA, 'demo', 'pending', undefined],
      [SHA, 'demo', 'success', 'http://demo.apps.test'],
    ],
  );
  assert.match(h.reports[1]!.update.description, /v1/);
});

test('a failed webhook deploy reports failure with the reason and still fails', async (t) => {
  const h = harness(t, { rollout: async () => Promise.reject(new UserError('health check failed on /health')) });
  await assert.rejects(h.deploy('webhook'), /health check failed/);
  await settle();
  assert.deepEqual(h.reports.map((r) => r.update.state), ['pending', 'failure']);
  assert.match(h.reports[1]!.update.description, /^Deploy failed: health check failed on \/health$/);

  const t2 = harness(t, { rollout: async () => Promise.reject(new Error('registry unreachable')) });
  await assert.rejects(t2.deploy('webhook'), /registry unreachable/);
  await settle();
  assert.match(t2.reports[1]!.update.description, /retried.*registry unreachable/);
});

test('git push and CLI deploys, and webhook rows without a sha, report nothing', async (t) => {
  const h = harness(t);
  await h.deploy('push');
  await h.deploy('cli');
  await h.deploy('webhook', null);
  await settle();
  assert.deepEqual(h.reports, []);
});

test('a status reporter that throws, rejects or hangs never fails or holds up the deploy', async (t) => {
  const throwing = harness(t, { report: () => { throw new Error('boom'); } });
  assert.deepEqual(await throwing.deploy('webhook'), { release: 1 });
  const rejecting = harness(t, { report: async () => Promise.reject(new Error('HTTP 500')) });
  assert.deepEqual(await rejecting.deploy('webhook'), { release: 1 });
  const hanging = harness(t, { report: () => new Promise<void>(() => undefined) });
  assert.deepEqual(await hanging.deploy('webhook'), { release: 1 });
});
