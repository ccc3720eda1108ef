// The agent's sender: ordered, numbered batches; a failed post is sent again; the server's
// sequence check (LogStore.commitSequenced) turns "again" into "exactly once".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { LogStore } from '../../../src/logs/store.js';
import { toCommit, type WriteItem } from '../../../src/logs/writer.js';
import { Sender } from '../../../src/cluster/agent/sender.js';
import { decodeItem, encodeItem, type WireItem } from '../../../src/cluster/agent/wire.js';

const item = (n: number, container = 'c1'): WriteItem => ({
  entries: [{ ts: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000000000Z`, app: 'shop', service: 'worker', container: 'w.1', stream: 'stdout', release: 1, line: `tick ${n}` }],
  container: { container, ts: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000000000Z`, count: 1, pending: { stdout: Buffer.from('par'), stderr: null }, done: false },
});

test('items cross the wire intact, split-line bytes included', () => {
  const back = decodeItem(JSON.parse(JSON.stringify(encodeItem(7, item(1)))) as WireItem);
  assert.equal(back.seq, 7);
  assert.deepEqual(back.container?.pending.stdout, Buffer.from('par'));
  assert.deepEqual(back.entries, item(1).entries);
});

test('a batch whose answer was lost is sent again and stored once; nothing is lost', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-sender-'));
  const store = new LogStore(path.join(dir, 'logs.db'));
  try {
    let calls = 0;
    const committed: WriteItem[] = [];
    const sender = new Sender({
      // The server commits the first batch but its answer never arrives.
      post: async (items) => {
        calls++;
        store.commitSequenced('run-abcdefgh', items.map(decodeItem), toCommit);
        if (calls === 1) throw new Error('socket hang up');
      },
      committed: (items) => committed.push(...items),
      logger: silentLogger(),
    });
    for (let n = 1; n <= 3; n++) await sender.write(item(n));
    await sender.flush();
    for (let n = 4; n <= 5; n++) await sender.write(item(n));
    await sender.flush();
    assert.ok(calls >= 2);
    assert.deepEqual(store.query({ app: 'shop', limit: 100 }).map((e) => e.line), ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5']);
    assert.equal(store.containerCheckpoint('c1')?.ts, item(5).container!.ts);
    assert.deepEqual(committed.map((i) => i.entries[0]!.line), ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5']);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new agent run starts its numbers again without being taken for a replay', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-sender-'));
  const store = new LogStore(path.join(dir, 'logs.db'));
  try {
    assert.equal(store.commitSequenced('run-aaaaaaaa', [decodeItem(encodeItem(1, item(1)))], toCommit), 1);
    assert.equal(store.commitSequenced('run-aaaaaaaa', [decodeItem(encodeItem(1, item(1)))], toCommit), 0);
    assert.equal(store.commitSequenced('run-bbbbbbbb', [decodeItem(encodeItem(1, item(2)))], toCommit), 1);
    assert.equal(store.query({ app: 'shop', limit: 10 }).length, 2);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
