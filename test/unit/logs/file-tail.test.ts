import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileCheckpoint, LogEntry } from '../../../src/logs/entry.js';
import { FileTail, globMatcher } from '../../../src/logs/file-tail.js';
import type { WriteItem } from '../../../src/logs/writer.js';

function harness(checkpoints: FileCheckpoint[] = [], dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-tail-'))) {
  const shipped: LogEntry[] = [];
  const refused: string[] = [];
  const saved = new Map<string, FileCheckpoint>(checkpoints.map((c) => [c.inode, c]));
  const tail = new FileTail({
    mount: { volume: 'vol', target: '/var/log/app', pattern: '*.log' },
    hostDir: dir,
    meta: { app: 'demo', service: 'web', container: 'web-1', release: 3 },
    checkpoints,
    write: async (item: WriteItem) => {
      shipped.push(...item.entries);
      if (item.file) saved.set(item.file.inode, item.file);
      if (item.fileGone) saved.delete(item.fileGone.inode);
    },
    onRefused: (file, why) => refused.push(`${file} ${why}`),
  });
  return { dir, tail, shipped, saved, refused, lines: () => shipped.map((e) => e.line), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('globs of base names match as a shell would', () => {
  const m = globMatcher('*.log,app-?.txt');
  assert.ok(m('app.log'));
  assert.ok(m('app-1.txt'));
  assert.ok(!m('app.log.1'));
  assert.ok(!m('app-12.txt'));
  assert.ok(globMatcher('a.b')('a.b') && !globMatcher('a.b')('axb'));
});

test('matching files are read line by line; an unfinished last line waits for its newline', async () => {
  const h = harness();
  writeFileSync(path.join(h.dir, 'app.log'), 'one\ntwo\npart');
  writeFileSync(path.join(h.dir, 'other.txt'), 'ignored\n');
  await h.tail.poll();
  assert.deepEqual(h.lines(), ['one', 'two']);
  assert.equal(h.shipped[0]!.stream, 'file:/var/log/app/app.log');
  appendFileSync(path.join(h.dir, 'app.log'), 'ial\n');
  await h.tail.poll();
  assert.deepEqual(h.lines(), ['one', 'two', 'partial']);
  h.cleanup();
});

test('rotation by rename: the old file is finished under its first name, the new one read from 0', async () => {
  const h = harness();
  const log = path.join(h.dir, 'app.log');
  writeFileSync(log, 'a1\na2\n');
  await h.tail.poll();
  appendFileSync(log, 'a3\n'); // written before the rename, not yet read
  renameSync(log, path.join(h.dir, 'app.log.1'));
  appendFileSync(path.join(h.dir, 'app.log.1'), 'a4\n'); // an app still holding the old descriptor
  writeFileSync(log, 'b1\n');
  await h.tail.poll();
  assert.deepEqual(h.lines(), ['a1', 'a2', 'a3', 'a4', 'b1']);
  assert.ok(h.shipped.slice(0, 4).every((e) => e.stream === 'file:/var/log/app/app.log'));
  h.cleanup();
});

test('truncation in place starts again at 0', async () => {
  const h = harness();
  const log = path.join(h.dir, 'app.log');
  writeFileSync(log, 'long line one\nlong line two\n');
  await h.tail.poll();
  truncateSync(log, 0);
  appendFileSync(log, 'new\n');
  await h.tail.poll();
  assert.deepEqual(h.lines(), ['long line one', 'long line two', 'new']);
  h.cleanup();
});

test('a restarted tail resumes at the stored offset, and finishes a file rotated while it was down', async () => {
  const first = harness();
  const log = path.join(first.dir, 'app.log');
  writeFileSync(log, 'x1\nx2\n');
  await first.tail.poll();
  appendFileSync(log, 'x3\n');
  renameSync(log, path.join(first.dir, 'app.log.1'));
  writeFileSync(log, 'y1\n');
  const second = harness([...first.saved.values()], first.dir);
  await second.tail.poll();
  assert.deepEqual(second.lines(), ['x3', 'y1']);
  first.cleanup();
});

test('a deleted file’s checkpoint is dropped so a reused inode starts at 0', async () => {
  const h = harness();
  writeFileSync(path.join(h.dir, 'app.log'), 'gone soon\n');
  await h.tail.poll();
  assert.equal(h.saved.size, 1);
  unlinkSync(path.join(h.dir, 'app.log'));
  await h.tail.poll();
  assert.equal(h.saved.size, 1, 'one scan that misses a file is not proof it is gone');
  await h.tail.poll();
  assert.equal(h.saved.size, 0);
  h.cleanup();
});

test('a file missing from one scan (renamed meanwhile) keeps its place: nothing is read twice', async () => {
  const h = harness();
  const away = mkdtempSync(path.join(os.tmpdir(), 'slipway-away-'));
  writeFileSync(path.join(h.dir, 'app.log'), 'l1\nl2\n');
  await h.tail.poll();
  // As a scan sees a rename that lands between its readdir and its stat: the file is nowhere.
  renameSync(path.join(h.dir, 'app.log'), path.join(away, 'app.log'));
  await h.tail.poll();
  renameSync(path.join(away, 'app.log'), path.join(h.dir, 'app.log.1'));
  appendFileSync(path.join(h.dir, 'app.log.1'), 'l3\n');
  await h.tail.poll();
  assert.deepEqual(h.lines(), ['l1', 'l2', 'l3']);
  rmSync(away, { recursive: true, force: true });
  h.cleanup();
});

test('a line longer than the read buffer is kept whole; invalid UTF-8 shows as U+FFFD', async () => {
  const h = harness();
  const long = 'z'.repeat(300_000);
  writeFileSync(path.join(h.dir, 'app.log'), Buffer.concat([Buffer.from(long + '\n'), Buffer.from([0x61, 0xfe, 0x0a])]));
  await h.tail.poll();
  assert.deepEqual(h.lines(), [long, 'a\uFFFD']);
  h.cleanup();
});

test('on the final pass an unfinished last line is shipped', async () => {
  const h = harness();
  writeFileSync(path.join(h.dir, 'app.log'), 'done\nno newline');
  await h.tail.poll(true);
  assert.deepEqual(h.lines(), ['done', 'no newline']);
  h.cleanup();
});

test('a symlink in the log volume is never followed — to a host file, a sibling or a folder — and is reported once', async () => {
  const h = harness();
  const outside = mkdtempSync(path.join(os.tmpdir(), 'slipway-host-'));
  writeFileSync(path.join(outside, 'shadow'), 'root:secret-hash\n');
  mkdirSync(path.join(outside, 'dir'));
  writeFileSync(path.join(h.dir, 'real.log'), 'a real line\n');
  symlinkSync(path.join(outside, 'shadow'), path.join(h.dir, 'evil.log'));
  symlinkSync('real.log', path.join(h.dir, 'alias.log'));
  symlinkSync(path.join(outside, 'dir'), path.join(h.dir, 'dir.log'));
  for (let i = 0; i < 3; i++) await h.tail.poll(i === 2);
  const text = h.lines().join('\n');
  assert.ok(!text.includes('secret-hash'), text);
  assert.deepEqual(h.lines().filter((l) => !l.startsWith('slipway:')), ['a real line']);
  assert.deepEqual(h.refused.sort(), ['/var/log/app/alias.log is a symbolic link', '/var/log/app/dir.log is a symbolic link', '/var/log/app/evil.log is a symbolic link']);
  const said = h.shipped.filter((e) => e.line.startsWith('slipway:'));
  assert.equal(said.length, 3);
  assert.match(said.find((e) => e.stream === 'file:/var/log/app/evil.log')!.line, /evil\.log is not shipped: it is a symbolic link/);
  rmSync(outside, { recursive: true, force: true });
  h.cleanup();
});

test('a FIFO named like a log file is refused without blocking the tail', async () => {
  const h = harness();
  execFileSync('mkfifo', [path.join(h.dir, 'pipe.log')]);
  writeFileSync(path.join(h.dir, 'app.log'), 'still read\n');
  await h.tail.poll();
  assert.deepEqual(h.lines().filter((l) => !l.startsWith('slipway:')), ['still read']);
  assert.deepEqual(h.refused, ['/var/log/app/pipe.log is not a regular file']);
  h.cleanup();
});
