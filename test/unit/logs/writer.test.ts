import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Commit } from '../../../src/logs/store.js';
import type { LogEntry } from '../../../src/logs/entry.js';
import { BatchWriter } from '../../../src/logs/writer.js';

const entry = (line: string): LogEntry => ({ ts: '2024-05-01T10:00:00.000000000Z', app: 'a', service: 's', container: 'c', stream: 'stdout', release: 1, line });
const cp = (container: string, count: number) => ({ container, ts: 't', count, pending: { stdout: null, stderr: null }, done: false });
const lines = (n: number, tag = 'x') => Array.from({ length: n }, (_, i) => entry(`${tag}${i}`));

test('lines are committed in batches of about maxLines, never splitting a write from its checkpoint', async () => {
  const commits: Commit[] = [];
  const w = new BatchWriter((c) => commits.push(c), () => undefined, { maxLines: 100, maxDelayMs: 10_000, maxQueued: 10_000 });
  for (let i = 0; i < 10; i++) await w.write({ entries: lines(30), container: cp('c1', i) });
  await w.flush();
  assert.equal(commits.reduce((n, c) => n + c.entries.length, 0), 300);
  for (const c of commits) {
    assert.equal(c.entries.length % 30, 0);
    // Only the newest checkpoint of a container goes with a transaction.
    assert.equal(c.containers.length, 1);
    assert.ok(c.entries.length <= 120);
  }
  assert.equal(commits.at(-1)!.containers[0]!.count, 9);
});

test('a partial batch is committed after maxDelayMs without anyone flushing', async () => {
  const commits: Commit[] = [];
  const w = new BatchWriter((c) => commits.push(c), () => undefined, { maxLines: 1000, maxDelayMs: 20, maxQueued: 10_000 });
  await w.write({ entries: lines(3) });
  assert.equal(commits.length, 0);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(commits.length, 1);
  w.close();
});

test('a full queue makes writers wait until the store catches up (backpressure)', async () => {
  const commits: Commit[] = [];
  const w = new BatchWriter((c) => commits.push(c), () => undefined, { maxLines: 10, maxDelayMs: 10_000, maxQueued: 50 });
  let resolved = false;
  for (let i = 0; i < 4; i++) await w.write({ entries: lines(10) });
  const p = w.write({ entries: lines(20) }).then(() => (resolved = true));
  assert.equal(resolved, false, 'the sixth batch must wait');
  await p;
  assert.ok(commits.length > 0, 'it was released by a commit');
  await w.flush();
  assert.equal(commits.reduce((n, c) => n + c.entries.length, 0), 60);
});

test('a failing store keeps the lines and retries; flush reports the failure', async () => {
  let fail = true;
  const stored: string[] = [];
  const errors: unknown[] = [];
  const w = new BatchWriter(
    (c) => {
      if (fail) throw new Error('disk full');
      stored.push(...c.entries.map((e) => e.line));
    },
    (e) => errors.push(e),
    { maxLines: 10, maxDelayMs: 5, maxQueued: 1000 },
  );
  await w.write({ entries: lines(3) });
  await assert.rejects(w.flush(), /disk full/);
  fail = false;
  await w.flush();
  assert.deepEqual(stored, ['x0', 'x1', 'x2']);
  assert.ok(errors.length >= 1);
  w.close();
});

test('a file checkpoint dropped and re-added in one batch ends up present', async () => {
  const commits: Commit[] = [];
  const w = new BatchWriter((c) => commits.push(c), () => undefined, { maxLines: 1000, maxDelayMs: 10_000, maxQueued: 10_000 });
  const file = { volume: 'v', inode: '5', path: '/l/a.log', offset: 10 };
  await w.write({ entries: [], file });
  await w.write({ entries: [], fileGone: { volume: 'v', inode: '5' } });
  await w.write({ entries: [], file: { ...file, offset: 3 } });
  await w.flush();
  assert.deepEqual(commits[0]!.filesGone, [{ volume: 'v', inode: '5' }]);
  assert.deepEqual(commits[0]!.files, [{ ...file, offset: 3 }]);
});
