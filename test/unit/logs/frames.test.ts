import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, sinceParam } from '../../../src/docker/logs.js';

function frame(type: number, text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

test('frames split at any byte across chunks come out whole and in order', () => {
  const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'x'.repeat(70_000))]);
  for (const cut of [1, 3, 7, 8, 9, 15, 20, 1000, all.length - 1]) {
    const p = new FrameParser();
    const got = [...p.push(all.subarray(0, cut)), ...p.push(all.subarray(cut))];
    assert.deepEqual(
      got.map((f) => [f.stream, f.payload.length]),
      [['stdout', 8], ['stderr', 4], ['stdout', 0], ['stdout', 70_000]],
      `cut at ${cut}`,
    );
  }
});

test('a chunk fed byte by byte still yields every frame once', () => {
  const all = Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')]);
  const p = new FrameParser();
  const got = [];
  for (const b of all) got.push(...p.push(Buffer.from([b])));
  assert.deepEqual(got.map((f) => f.payload.toString()), ['a\n', 'b\n']);
});

test('stdin frames are ignored', () => {
  assert.deepEqual(new FrameParser().push(frame(0, 'in')), []);
});

test('since keeps the nanoseconds of the checkpoint', () => {
  assert.equal(sinceParam('2024-05-01T10:00:00.123456789Z'), '1714557600.123456789');
  assert.equal(sinceParam('2024-05-01T10:00:00.000000001Z'), '1714557600.000000001');
});
