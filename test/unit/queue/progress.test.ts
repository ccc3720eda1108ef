// Deploy output files: a deployment that no longer exists leaves no output for a new one to replay;
// every deployment that has ended has an output that ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeployProgress, outcomeOf, statusLine } from '../../../src/queue/progress.js';

test('output of deployments that no longer exist is removed at start-up; the rest is kept', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-progress-'));
  for (const f of ['1.log', '2.log', '7.log', 'notes.txt']) writeFileSync(path.join(dir, f), 'old\n');
  const progress = new DeployProgress(dir);
  assert.equal(progress.removeStale((id) => id === 2), 2);
  assert.deepEqual(readdirSync(dir).sort(), ['2.log', 'notes.txt']);
  assert.ok(existsSync(progress.file(2)));
  rmSync(dir, { recursive: true, force: true });
});

test('ensureFinished ends an output that has no status line, once; one that has one is left alone', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-progress-'));
  const progress = new DeployProgress(dir);
  // Interrupted mid-deploy: lines but no outcome (a follower would wait forever).
  progress.writer(1)('-----> Building demo');
  progress.ensureFinished(1, { status: 'interrupted', error: 'Slipway stopped during this deploy' });
  progress.ensureFinished(1, { status: 'interrupted', error: 'again' });
  // No output at all (an upload that failed before anything was written).
  progress.ensureFinished(2, { status: 'failed', error: 'empty upload' });
  // Finished normally.
  progress.finish(3, { status: 'succeeded', release: 4 });
  progress.ensureFinished(3, { status: 'failed' });
  const lines = async (id: number) => {
    const out: string[] = [];
    for await (const l of progress.follow(id)) out.push(l);
    return out;
  };
  assert.deepEqual(await lines(1), ['-----> Building demo', statusLine({ status: 'interrupted', error: 'Slipway stopped during this deploy' })]);
  assert.deepEqual(await lines(2), [statusLine({ status: 'failed', error: 'empty upload' })]);
  assert.deepEqual(await lines(3), [statusLine({ status: 'succeeded', release: 4 })]);
  rmSync(dir, { recursive: true, force: true });
});

test('outcomeOf: the status line of a deployment in a final state, none while it is queued or running', () => {
  const row = { releaseVersion: null, error: null };
  assert.equal(outcomeOf({ ...row, status: 'queued' }), null);
  assert.equal(outcomeOf({ ...row, status: 'running' }), null);
  assert.deepEqual(outcomeOf({ status: 'succeeded', releaseVersion: 3, error: null }), { status: 'succeeded', release: 3 });
  assert.deepEqual(outcomeOf({ status: 'interrupted', releaseVersion: null, error: 'x' }), { status: 'interrupted', error: 'x' });
});
