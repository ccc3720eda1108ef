import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogEntry } from '../../../src/logs/entry.js';
import { LogStore } from '../../../src/logs/store.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function open(): { store: LogStore; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-store-'));
  dirs.push(dir);
  const file = path.join(dir, 'logs.db');
  return { store: new LogStore(file), file };
}
const e = (sec: number, line: string, over: Partial<LogEntry> = {}): LogEntry => ({
  ts: `2024-05-01T10:${String(Math.floor(sec / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}.000000000Z`,
  app: 'demo',
  service: 'web',
  container: 'c',
  stream: 'stdout',
  release: 1,
  line,
  ...over,
});
const put = (s: LogStore, entries: LogEntry[]) => s.commit({ entries, containers: [], files: [], filesGone: [] });

test('query returns the last N lines oldest first, merged by time across services', () => {
  const { store } = open();
  put(store, [e(3, 'c', { service: 'worker' }), e(1, 'a'), e(2, 'b'), e(4, 'd')]);
  assert.deepEqual(store.query({ app: 'demo', limit: 3 }).map((x) => x.line), ['b', 'c', 'd']);
  store.close();
});

test('grep is a case-insensitive substring search, short and with LIKE wildcards too', () => {
  const { store } = open();
  put(store, [e(1, 'GET /api 200'), e(2, 'upstream Timeout after 30s'), e(3, '100% done'), e(4, 'snake_case'), e(5, 'ok')]);
  const grep = (g: string) => store.query({ app: 'demo', grep: g }).map((x) => x.line);
  assert.deepEqual(grep('timeout'), ['upstream Timeout after 30s']);
  assert.deepEqual(grep('TIME'), ['upstream Timeout after 30s']);
  assert.deepEqual(grep('ok'), ['ok']);
  assert.deepEqual(grep('0%'), ['100% done']);
  assert.deepEqual(grep('e_c'), ['snake_case']);
  assert.deepEqual(grep('%'), ['100% done']);
  assert.deepEqual(grep('"quoted'), []);
  store.close();
});

test('stream file matches every file stream; file:/path matches one', () => {
  const { store } = open();
  put(store, [e(1, 'a', { stream: 'file:/l/a.log' }), e(2, 'b', { stream: 'file:/l/b.log' }), e(3, 'c')]);
  assert.deepEqual(store.query({ app: 'demo', stream: 'file' }).map((x) => x.line), ['a', 'b']);
  assert.deepEqual(store.query({ app: 'demo', stream: 'file:/l/b.log' }).map((x) => x.line), ['b']);
  store.close();
});

test('checkpoints are stored with the lines and read back after reopening', () => {
  const { store, file } = open();
  store.commit({
    entries: [e(1, 'a')],
    containers: [{ container: 'id1', ts: 't1', count: 2, pending: { stdout: Buffer.from('half'), stderr: null }, done: false }],
    files: [{ volume: 'v', inode: '42', path: '/l/a.log', offset: 10 }],
    filesGone: [],
  });
  store.close();
  const again = new LogStore(file);
  assert.deepEqual(again.containerCheckpoint('id1'), { container: 'id1', ts: 't1', count: 2, pending: { stdout: Buffer.from('half'), stderr: null }, done: false });
  assert.deepEqual(again.fileCheckpoints('v'), [{ volume: 'v', inode: '42', path: '/l/a.log', offset: 10 }]);
  assert.equal(again.containerCheckpoint('nope'), null);
  again.close();
});

test('retention drops lines older than the age limit, then the oldest until under the size limit', () => {
  const { store } = open();
  put(store, [e(0, 'old', { ts: '2024-04-01T00:00:00.000000000Z' }), e(1, 'new1'), e(2, 'new2')]);
  const removed = store.prune(new Date('2024-05-02T00:00:00Z'), 7, 1024 * 1024 * 1024);
  assert.equal(removed, 1);
  assert.deepEqual(store.query({ app: 'demo' }).map((x) => x.line), ['new1', 'new2']);
  assert.deepEqual(store.query({ app: 'demo', grep: 'old' }), [], 'the search index forgets it too');
  const big = Array.from({ length: 20_000 }, (_, i) => e(3, `line ${i} ${'x'.repeat(100)}`));
  put(store, big);
  const before = store.usedBytes();
  store.prune(new Date('2024-05-02T00:00:00Z'), 7, before / 2);
  assert.ok(store.usedBytes() <= before / 2);
  const left = store.query({ app: 'demo', limit: 100_000 });
  assert.ok(left.length > 0 && left.length < 20_000);
  assert.equal(left.at(-1)!.line, big.at(-1)!.line, 'the newest lines stay');
  store.close();
});

test('after() pages through lines stored after a row, with filters', () => {
  const { store } = open();
  put(store, [e(1, 'a'), e(2, 'b', { service: 'worker' }), e(3, 'c')]);
  const first = store.after(0, null, 2);
  assert.deepEqual(first.map((x) => x.line), ['a', 'b']);
  assert.deepEqual(store.after(first[1]!.id, null, 10).map((x) => x.line), ['c']);
  assert.deepEqual(store.after(0, { app: 'demo', service: 'web' }, 10).map((x) => x.line), ['a', 'c']);
  store.close();
});
