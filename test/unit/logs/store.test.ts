import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogEntry } from '../../../src/logs/entry.js';
import { LogStore } from '../../../src/logs/store.js';
import type { AppRetention, RetentionLimits } from '../../../src/logs/retention.js';

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
/** The whole store under `maxBytes`; every app `days` old at most, with no size limit of its own. */
const limits = (days: number, maxBytes: number, app: (a: string) => AppRetention = () => ({ maxAgeDays: days, maxBytes: Infinity })): RetentionLimits => ({ maxBytes, app });
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
  const removed = store.prune(new Date('2024-05-02T00:00:00Z'), limits(7, 1024 ** 3));
  assert.equal(removed, 1);
  assert.deepEqual(store.query({ app: 'demo' }).map((x) => x.line), ['new1', 'new2']);
  assert.deepEqual(store.query({ app: 'demo', grep: 'old' }), [], 'the search index forgets it too');
  const big = Array.from({ length: 20_000 }, (_, i) => e(3, `line ${i} ${'x'.repeat(100)}`));
  put(store, big);
  const before = store.usedBytes();
  store.prune(new Date('2024-05-02T00:00:00Z'), limits(7, before / 2));
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

test('each app is held to its own size limit: a noisy app loses its oldest lines, a quiet one keeps all', () => {
  const { store } = open();
  const noisy = Array.from({ length: 20_000 }, (_, i) => e(10, `noisy ${i} ${'x'.repeat(100)}`, { app: 'noisy' }));
  const quiet = Array.from({ length: 100 }, (_, i) => e(5, `quiet ${i}`, { app: 'quiet' }));
  put(store, [...quiet.slice(0, 50), ...noisy, ...quiet.slice(50)]);
  assert.ok(store.appBytes('noisy') > 2_000_000, String(store.appBytes('noisy')));
  const perApp = 1024 * 1024;
  // The whole store may be far bigger: the per-app limit alone decides.
  store.prune(new Date('2024-05-01T12:00:00Z'), limits(0, 1024 ** 3, () => ({ maxAgeDays: 0, maxBytes: perApp })));
  assert.ok(store.appBytes('noisy') <= perApp, `noisy is still ${store.appBytes('noisy')} bytes`);
  const left = store.query({ app: 'noisy', limit: 100_000 });
  assert.ok(left.length > 5000 && left.length < 20_000, String(left.length));
  assert.equal(left.at(-1)!.line, noisy.at(-1)!.line, 'the newest lines stay');
  assert.equal(store.query({ app: 'quiet', limit: 1000 }).length, 100, 'the quiet app lost nothing');
  store.close();
});

test('each app is held to its own age limit', () => {
  const { store } = open();
  const day = (d: number, line: string, app: string) => e(0, line, { app, ts: `2024-05-${String(d).padStart(2, '0')}T00:00:00.000000000Z` });
  put(store, [day(1, 'a-old', 'a'), day(9, 'a-new', 'a'), day(1, 'b-old', 'b'), day(9, 'b-new', 'b')]);
  const removed = store.prune(new Date('2024-05-10T00:00:00Z'), limits(0, 1024 ** 3, (app) => ({ maxAgeDays: app === 'a' ? 3 : 30, maxBytes: Infinity })));
  assert.equal(removed, 1);
  assert.deepEqual(store.query({ app: 'a' }).map((x) => x.line), ['a-new']);
  assert.deepEqual(store.query({ app: 'b' }).map((x) => x.line), ['b-old', 'b-new']);
  store.close();
});

test('sizes per app are counted once for a store made before they were kept, then as lines come and go', async () => {
  const { store, file } = open();
  put(store, [e(1, 'hello', { app: 'a' }), e(2, 'world!', { app: 'b' })]);
  store.close();
  // As an older store had it: no size table.
  const { default: Database } = await import('better-sqlite3');
  const raw = new Database(file);
  raw.exec('DROP TABLE app_usage');
  raw.close();
  const again = new LogStore(file);
  assert.equal(again.appBytes('a'), 5 + 64);
  assert.equal(again.appBytes('b'), 6 + 64);
  put(again, [e(3, 'more', { app: 'a' })]);
  assert.equal(again.appBytes('a'), 5 + 4 + 2 * 64);
  again.close();
});

test('a destroyed app is forgotten: its lines, its search blocks and its checkpoints', () => {
  const { store } = open();
  store.commit({
    entries: [e(1, 'secret of gone'), e(2, 'kept', { app: 'other' })],
    containers: [{ container: 'c1', ts: 't', count: 1, pending: { stdout: null, stderr: null }, done: true }],
    files: [{ volume: 'slipway-demo-logs', inode: '7', path: '/l/a.log', offset: 99 }],
    filesGone: [],
  });
  put(store, [e(3, 'secret again')]);
  assert.equal(store.forgetApp('demo', ['c1'], ['slipway-demo-logs']), 2);
  assert.deepEqual(store.query({ app: 'demo', limit: 10 }), []);
  assert.deepEqual(store.query({ app: 'demo', grep: 'secret' }), []);
  assert.equal(store.appBytes('demo'), 0);
  assert.equal(store.containerCheckpoint('c1'), null);
  assert.deepEqual(store.fileCheckpoints('slipway-demo-logs'), []);
  assert.deepEqual(store.query({ app: 'other' }).map((x) => x.line), ['kept']);
  store.close();
});
