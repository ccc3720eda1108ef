// A rollback restores its release's config vars in the app only when that release goes live:
// while it rolls out the app's config is unchanged, and a rollback that fails leaves it as it
// was (the next deploy uses it). Real state (SQLite in memory), stub stages.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Trigger } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { DeployDeadline } from '../../../src/deadline.js';
import { createPipeline } from '../../../src/queue/pipeline.js';
import { openTestState } from '../../helpers/state.js';
import { STUB_SHA, stubStages } from '../../helpers/pipeline.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-pipeline-rollback-'));
after(async () => {
  // The build-log streams close after a deploy has returned.
  await new Promise((r) => setTimeout(r, 20));
  rmSync(root, { recursive: true, force: true });
});

function harness(t: { after(fn: () => void): void }) {
  const tmp = mkdtempSync(path.join(root, 'case-'));
  const state = openTestState();
  t.after(() => state.close());
  const app = state.apps.create('demo');
  let failRollout = false;
  /** The app's config as the rollout found it, before the release went live. */
  const seenDuringRollout: Record<string, string>[] = [];
  const run = createPipeline({
    state,
    buildsDir: path.join(tmp, 'builds'),
    appUrl: (name) => `http://${name}.apps.test`,
    stages: stubStages(tmp, async (_release, _previous, _out, live) => {
      seenDuringRollout.push(state.apps.config(app.id));
      if (failRollout) throw new UserError('web-blue-1 exited with code 1 before it was healthy');
      live();
    }),
  });
  const deploy = (trigger: Trigger, params: Record<string, unknown> = {}) =>
    run(state.deployments.create(app.id, { trigger, sha: STUB_SHA, ref: 'refs/heads/main', params }), () => undefined, new DeployDeadline(600));
  return {
    state,
    app,
    deploy,
    seenDuringRollout,
    failNextRollouts: (fail: boolean) => (failRollout = fail),
  };
}

test('a failed rollback leaves the app config as it was; the serving release stays active', async (t) => {
  const h = harness(t);
  h.state.apps.setConfig(h.app.id, { GREETING: 'one' });
  assert.deepEqual(await h.deploy('push'), { release: 1 });
  h.state.apps.setConfig(h.app.id, { GREETING: 'two', EXTRA: 'x' });
  assert.deepEqual(await h.deploy('config'), { release: 2 });

  h.failNextRollouts(true);
  await assert.rejects(h.deploy('rollback', { version: 1 }), /exited with code 1/);
  assert.deepEqual(h.state.apps.config(h.app.id), { GREETING: 'two', EXTRA: 'x' });
  assert.deepEqual(h.seenDuringRollout.at(-1), { GREETING: 'two', EXTRA: 'x' }, 'the config is unchanged while the rollback rolls out');
  assert.equal(h.state.releases.current(h.app.id)?.version, 2);
  assert.equal(h.state.releases.find(h.app.id, 3)?.status, 'failed');
});

test('a rollback that goes live restores its release config, removing keys the target lacked', async (t) => {
  const h = harness(t);
  h.state.apps.setConfig(h.app.id, { GREETING: 'one' });
  await h.deploy('push');
  h.state.apps.setConfig(h.app.id, { GREETING: 'two', EXTRA: 'x' });
  await h.deploy('config');

  assert.deepEqual(await h.deploy('rollback', { version: 1 }), { release: 3 });
  assert.deepEqual(h.seenDuringRollout.at(-1), { GREETING: 'two', EXTRA: 'x' }, 'nothing changes before the release is live');
  assert.deepEqual(h.state.apps.config(h.app.id), { GREETING: 'one' });
  assert.equal(h.state.releases.current(h.app.id)?.version, 3);
});
