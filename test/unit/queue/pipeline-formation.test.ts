// What a release carries from app.json and the user's choices: env defaults and secrets on the
// first deploy only, required keys, replicas carried and saved with --no-deploy, app.json
// formation, and when the release phase runs. Real state (SQLite in memory), stub stages.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppJson, ServiceSpec, Trigger } from '../../../src/domain.js';
import { DeployDeadline } from '../../../src/deadline.js';
import { createPipeline } from '../../../src/queue/pipeline.js';
import { openTestState } from '../../helpers/state.js';
import { serviceSpec } from '../../helpers/specs.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-pipeline-formation-'));
after(async () => {
  await new Promise((r) => setTimeout(r, 20));
  rmSync(root, { recursive: true, force: true });
});

const appJson = (over: Partial<AppJson> = {}): AppJson => ({ healthchecks: {}, scripts: {}, env: {}, formation: null, ...over });
const procfileServices = (): ServiceSpec[] => [serviceSpec({ name: 'web' }), serviceSpec({ name: 'worker', role: 'worker', replicas: 0 })];

function harness(t: { after(fn: () => void): void }) {
  const tmp = mkdtempSync(path.join(root, 'case-'));
  const state = openTestState();
  t.after(() => state.close());
  const app = state.apps.create('demo');
  const built = { appJson: appJson(), services: procfileServices(), releaseCommand: './migrate' as string | null };
  const rollouts: { version: number; releasePhase: boolean }[] = [];
  let failRollout = false;
  const run = createPipeline({
    state,
    buildsDir: path.join(tmp, 'builds'),
    appUrl: (name) => `http://${name}.apps.test`,
    stages: {
      revision: async (_d, a) => ({ app: a.name, sha: 'a'.repeat(40), ref: 'refs/heads/main', dir: mkdtempSync(path.join(tmp, 'src-')) }),
      buildAndPush: async (_rev, a, version) => ({
        image: { repository: `r/${a.name}`, tags: [`v${version}`], digest: 'sha256:0', ref: `r/${a.name}@sha256:0` },
        services: built.services,
        appJson: built.appJson,
        releaseCommand: built.releaseCommand,
        serviceSource: null,
      }),
      servicesUnder: async () => [],
      rollout: async (release, _prev, _out, live, options) => {
        rollouts.push({ version: release.version, releasePhase: options.releasePhase });
        if (failRollout) throw new Error('health check failed');
        live();
      },
    },
  });
  const deploy = (trigger: Trigger, params: Record<string, unknown> = {}) => {
    const lines: string[] = [];
    return run(state.deployments.create(app.id, { trigger, sha: 'a'.repeat(40), ref: 'refs/heads/main', params }), (l) => lines.push(l), new DeployDeadline(600)).then(
      (r) => ({ ...r, lines }),
      (e: Error) => ({ error: e.message, lines }),
    );
  };
  return { state, app, built, rollouts, deploy, failNext: (v: boolean) => (failRollout = v), current: () => state.releases.current(app.id)! };
}

test('app.json env: a value and a generated secret on the first deploy; set config is never overridden', async (t) => {
  const h = harness(t);
  h.state.apps.setConfig(h.app.id, { MODE: 'mine' });
  h.built.appJson = appJson({
    env: {
      MODE: { value: 'default', required: true, sync: false },
      WEB_CONCURRENCY: { value: '5', required: true, sync: false },
      SECRET_KEY_BASE: { generator: 'secret', required: true, sync: false },
      OPTIONAL: { required: false, sync: false },
    },
  });
  const first = await h.deploy('push');
  const config = h.state.apps.config(h.app.id);
  assert.equal(config.MODE, 'mine');
  assert.equal(config.WEB_CONCURRENCY, '5');
  assert.match(config.SECRET_KEY_BASE!, /^[0-9a-f]{64}$/);
  assert.equal(config.OPTIONAL, undefined);
  assert.deepEqual(h.current().config, config, 'the release runs with them');
  assert.ok(first.lines.includes('-----> app.json env: set WEB_CONCURRENCY (default), SECRET_KEY_BASE (generated secret)'), first.lines.join('\n'));
  assert.ok(!first.lines.some((l) => l.includes(config.SECRET_KEY_BASE!)), 'the secret is never printed');

  // Later deploys: the secret stays, an unset default is not brought back.
  h.state.apps.setConfig(h.app.id, { WEB_CONCURRENCY: null });
  await h.deploy('push');
  assert.equal(h.state.apps.config(h.app.id).SECRET_KEY_BASE, config.SECRET_KEY_BASE);
  assert.equal(h.state.apps.config(h.app.id).WEB_CONCURRENCY, undefined);
});

test('app.json env: a required key without a value fails the first deploy naming it, before any release', async (t) => {
  const h = harness(t);
  h.built.appJson = appJson({ env: { DATABASE_URL: { required: true, sync: false }, A: { value: '1', required: true, sync: false } } });
  const r = await h.deploy('push');
  assert.match((r as { error: string }).error, /app\.json env: DATABASE_URL is required and has no value\. Set it first: slipway config:set --no-deploy demo DATABASE_URL=…/);
  assert.equal(h.state.releases.list(h.app.id).length, 0);
  assert.deepEqual(h.state.apps.config(h.app.id), {}, 'nothing was set');

  h.state.apps.setConfig(h.app.id, { DATABASE_URL: 'postgres://db/x' });
  const ok = await h.deploy('push');
  assert.equal((ok as { release: number }).release, 2);
});

test('app.json env: a sync key takes its value on every deploy', async (t) => {
  const h = harness(t);
  h.built.appJson = appJson({ env: { BUILD_MODE: { value: 'fast', required: true, sync: true } } });
  await h.deploy('push');
  h.state.apps.setConfig(h.app.id, { BUILD_MODE: 'changed' });
  await h.deploy('push');
  assert.equal(h.state.apps.config(h.app.id).BUILD_MODE, 'fast');
});

test('replicas: the user\'s scale is carried; scale saved with --no-deploy applies to the next deploy, once it is live', async (t) => {
  const h = harness(t);
  await h.deploy('push');
  assert.deepEqual(h.current().scale, {});
  await h.deploy('scale', { scale: { worker: 2 } });
  assert.deepEqual(h.current().scale, { worker: 2 });

  h.state.apps.savePendingScale(h.app.id, { web: 3 });
  h.failNext(true);
  await h.deploy('push');
  assert.deepEqual(h.state.apps.pendingScale(h.app.id), { web: 3 }, 'a failed deploy keeps it');
  h.failNext(false);
  await h.deploy('push');
  assert.deepEqual(h.current().scale, { worker: 2, web: 3 });
  assert.equal(h.state.apps.pendingScale(h.app.id), null);
});

test('app.json formation manages replicas: the release carries no user scale', async (t) => {
  const h = harness(t);
  await h.deploy('push');
  await h.deploy('scale', { scale: { worker: 2 } });
  h.built.appJson = appJson({ formation: { worker: 1 } });
  await h.deploy('push');
  assert.deepEqual(h.current().scale, {});
});

test('the release phase runs for pushes and config changes, not for scale changes or rollbacks (which keep the command)', async (t) => {
  const h = harness(t);
  await h.deploy('push');
  await h.deploy('config', { description: 'Set A' });
  await h.deploy('scale', { scale: { worker: 1 } });
  await h.deploy('rollback', { version: 1 });
  assert.deepEqual(h.rollouts.map((r) => r.releasePhase), [true, true, false, false]);
  assert.equal(h.current().releaseCommand, './migrate');
  await h.deploy('config', { description: 'Set B' });
  assert.equal(h.rollouts.at(-1)!.releasePhase, true);
  assert.equal(h.current().releaseCommand, './migrate', 'a config change after a rollback still migrates');
});
