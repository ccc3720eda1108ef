// The supervisor's restart policy: quick first restart, doubling back-off to a cap, and a real
// child that keeps dying is started again until the supervisor is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { Supervisor, restartDelayMs } from '../../../src/supervisor/supervise.js';

test('restart delays double from half a second up to 30 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map(restartDelayMs), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('a child that exits is started again; stop() ends it and removes the pid file', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-sup-'));
  const pidFile = path.join(dir, 'server.pid');
  const starts = path.join(dir, 'starts');
  // Each start appends a line, then the child dies at once: a crash loop.
  const script = `require('fs').appendFileSync(${JSON.stringify(starts)}, 'x\\n'); process.exit(1)`;
  const sup = new Supervisor({ command: process.execPath, args: ['-e', script], logger: silentLogger(), pidFile, stableAfterMs: 60_000 });
  try {
    sup.start();
    for (let i = 0; i < 200 && (readFileSync(starts, { encoding: 'utf8', flag: 'a+' }).match(/x/g)?.length ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(readFileSync(starts, 'utf8').match(/x/g)!.length >= 2, 'started again after it died');
  } finally {
    await sup.stop();
  }
  assert.throws(() => readFileSync(pidFile), /ENOENT/);
  rmSync(dir, { recursive: true, force: true });
});
