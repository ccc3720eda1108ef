// Uploads are kept while their deployment may still run (a retry starts from the same tar) and
// removed once it will not run again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Uploads } from '../../../src/queue/uploads.js';

test('remove() drops one upload; removeFinished() keeps those of deployments still pending', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-uploads-'));
  const uploads = new Uploads(dir);
  for (const id of [1, 2, 3, 4]) writeFileSync(uploads.file(id), 'tar');
  writeFileSync(path.join(dir, 'notes.txt'), 'not an upload');
  uploads.remove(1);
  uploads.remove(99); // gone already: fine
  assert.equal(uploads.removeFinished((id) => id === 3), 2);
  assert.deepEqual(readdirSync(dir).sort(), ['3.tar', 'notes.txt']);
  rmSync(dir, { recursive: true, force: true });
});
