// The registry's garbage collection never overlaps a push: it waits for pushes in flight, and
// pushes asked for meanwhile wait for it. A config that caches blob descriptors is refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { RegistryGc, parseGcOutput } from '../../../src/registry/gc.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-gc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for docker-registry that records its arguments and prints GC's summary line. */
function fakeRegistry(): { bin: string; ran: string } {
  const ran = path.join(dir, `ran-${Math.random()}`);
  const bin = path.join(dir, `registry-${Math.random()}`);
  writeFileSync(bin, `#!/bin/sh\necho "$@" >> ${ran}\necho "registry\n\n2 blobs marked, 7 blobs and 1 manifests eligible for deletion"\n`, { mode: 0o755 });
  return { bin, ran };
}

function config(text: string): string {
  const f = path.join(dir, `config-${Math.random()}.yml`);
  writeFileSync(f, text);
  return f;
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

test('a collection waits for the push in flight, and a push asked for meanwhile waits for the collection', async () => {
  const { bin, ran } = fakeRegistry();
  const gc = new RegistryGc({ bin, configFile: config('version: 0.1\nstorage:\n  delete:\n    enabled: true\n'), logger: silentLogger() });
  const events: string[] = [];
  const first = deferred();
  const pushA = gc.duringPush(async () => {
    events.push('A start');
    await first.promise;
    events.push('A end');
  });
  const collected = gc.collect().then((r) => (events.push('gc done'), r));
  const pushB = gc.duringPush(async () => void events.push('B start'));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(events, ['A start'], 'neither the collection nor the next push ran during push A');
  assert.equal(existsSync(ran), false);
  first.resolve();
  const [report] = await Promise.all([collected, pushA, pushB]);
  assert.deepEqual(events, ['A start', 'A end', 'gc done', 'B start']);
  assert.deepEqual(report, { blobsDeleted: 7, manifestsDeleted: 1 });
});

test('a registry config with a blob descriptor cache is never collected', async () => {
  const { bin, ran } = fakeRegistry();
  const file = config('version: 0.1\nstorage:\n  cache:\n    blobdescriptor: inmemory\n');
  const gc = new RegistryGc({ bin, configFile: file, logger: silentLogger() });
  assert.equal(await gc.collect(), null);
  assert.equal(existsSync(ran), false);
});

test('without a registry config, collection is off', async () => {
  const gc = new RegistryGc({ bin: '/nonexistent', configFile: null, logger: silentLogger() });
  assert.equal(gc.enabled, false);
  assert.equal(await gc.collect(), null);
});

test("garbage-collect's summary line is read", () => {
  assert.deepEqual(parseGcOutput('app\n\n12 blobs marked, 3 blobs and 0 manifests eligible for deletion\n'), { blobsDeleted: 3, manifestsDeleted: 0 });
});
