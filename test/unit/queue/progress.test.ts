// Deploy output files: a deployment that no longer exists leaves no output for a new one to replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeployProgress } from '../../../src/queue/progress.js';

test('output of deployments that no longer exist is removed at start-up; the rest is kept', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-progress-'));
  for (const f of ['1.log', '2.log', '7.log', 'notes.txt']) writeFileSync(path.join(dir, f), 'old\n');
  const progress = new DeployProgress(dir);
  assert.equal(progress.removeStale((id) => id === 2), 2);
  assert.deepEqual(readdirSync(dir).sort(), ['2.log', 'notes.txt']);
  assert.ok(existsSync(progress.file(2)));
  rmSync(dir, { recursive: true, force: true });
});
