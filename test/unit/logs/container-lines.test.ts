import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerLines, type ContainerMeta } from '../../../src/logs/container-lines.js';
import type { LogFrame } from '../../../src/logs/ports.js';

const meta: ContainerMeta = { id: 'c1', app: 'demo', service: 'web', container: 'slipway-demo-web-blue-1', release: 7 };
const ts = (n: number) => `2024-05-01T10:00:00.${String(n).padStart(9, '0')}Z`;
const f = (stream: 'stdout' | 'stderr', t: number, text: string | Buffer): LogFrame => ({
  stream,
  payload: Buffer.concat([Buffer.from(ts(t) + ' '), typeof text === 'string' ? Buffer.from(text) : text]),
});

test('each newline-terminated frame is a line with its engine timestamp, stream and labels', () => {
  const l = new ContainerLines(meta, null);
  const out = l.take([f('stdout', 1, 'hello\n'), f('stderr', 2, 'oops\r\n')]);
  assert.deepEqual(out, [
    { ts: ts(1), app: 'demo', service: 'web', container: 'slipway-demo-web-blue-1', stream: 'stdout', release: 7, line: 'hello' },
    { ts: ts(2), app: 'demo', service: 'web', container: 'slipway-demo-web-blue-1', stream: 'stderr', release: 7, line: 'oops' },
  ]);
});

test('pieces of a line longer than 16 KiB are joined, per stream, while the other stream goes on', () => {
  const l = new ContainerLines(meta, null);
  const a = 'a'.repeat(16 * 1024);
  const out = [
    ...l.take([f('stdout', 1, a), f('stderr', 2, 'between\n'), f('stdout', 3, a)]),
    ...l.take([f('stdout', 4, 'end\n')]),
  ];
  assert.deepEqual(out.map((e) => [e.stream, e.line.length]), [['stderr', 7], ['stdout', 2 * a.length + 3]]);
  assert.equal(out[1]!.ts, ts(4));
});

test('a multi-byte character split between pieces is decoded whole; invalid bytes become U+FFFD', () => {
  const l = new ContainerLines(meta, null);
  const euro = Buffer.from('€');
  const out = l.take([f('stdout', 1, euro.subarray(0, 1)), f('stdout', 2, Buffer.concat([euro.subarray(1), Buffer.from('\n')])), f('stdout', 3, Buffer.from([0x62, 0xff, 0x0a]))]);
  assert.deepEqual(out.map((e) => e.line), ['€', 'b\uFFFD']);
});

test('resuming at a checkpoint skips exactly the frames already shipped at that timestamp', () => {
  const frames = [f('stdout', 1, 'one\n'), f('stdout', 2, 'two\n'), f('stderr', 2, 'two-b\n'), f('stdout', 2, 'two-c\n'), f('stdout', 3, 'three\n')];
  const first = new ContainerLines(meta, null);
  const shipped = first.take(frames.slice(0, 3));
  const cp = first.checkpoint();
  assert.deepEqual([cp.ts, cp.count], [ts(2), 2]);
  // The engine's `since` is inclusive: it sends every frame from ts(2) again.
  const again = new ContainerLines(meta, cp);
  const rest = again.take(frames.slice(1));
  assert.deepEqual([...shipped, ...rest].map((e) => e.line), ['one', 'two', 'two-b', 'two-c', 'three']);
  assert.deepEqual([again.checkpoint().ts, again.checkpoint().count], [ts(3), 1]);
});

test('a line cut in half by a restart keeps its first half in the checkpoint', () => {
  const first = new ContainerLines(meta, null);
  assert.deepEqual(first.take([f('stdout', 1, 'first half ')]), []);
  const cp = first.checkpoint();
  assert.equal(cp.pending.stdout?.toString(), 'first half ');
  const again = new ContainerLines(meta, cp);
  const out = again.take([f('stdout', 1, 'first half '), f('stdout', 2, 'second half\n')]);
  assert.deepEqual(out.map((e) => e.line), ['first half second half']);
});

test('frames older than the checkpoint are never shipped twice', () => {
  const l = new ContainerLines(meta, { container: 'c1', ts: ts(5), count: 1, pending: { stdout: null, stderr: null }, done: false });
  assert.deepEqual(l.take([f('stdout', 4, 'old\n'), f('stdout', 5, 'seen\n'), f('stdout', 5, 'new at 5\n')]).map((e) => e.line), ['new at 5']);
});

test('when the container ends, a last line without a newline is shipped', () => {
  const l = new ContainerLines(meta, null);
  l.take([f('stdout', 1, 'no newline')]);
  assert.deepEqual(l.flush().map((e) => e.line), ['no newline']);
  assert.equal(l.checkpoint(true).pending.stdout, null);
});

test('frames without a timestamp are ignored rather than mis-dated', () => {
  const l = new ContainerLines(meta, null);
  assert.deepEqual(l.take([{ stream: 'stdout', payload: Buffer.from('no timestamp here\n') }]), []);
});
