// The collector's readings from cgroup v1 (this machine; cgroupfs and systemd drivers, split and
// combined cpu/cpuacct mounts) and v2 (most current hosts), over fixture trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseBlkioV1, parseIoStatV2, parseNetDev, parseProcCgroup } from '../../../src/metrics/cgroup.js';
import { CgroupReader } from '../../../src/metrics/cgroup-reader.js';
const ROOT = path.resolve(import.meta.dirname, '../../..');

const fixture = (name: string) => {
  const dir = path.join(ROOT, 'test/fixtures/cgroup', name);
  return new CgroupReader({ cgroupRoot: path.join(dir, 'sys'), procRoot: path.join(dir, 'proc') });
};
const MiB = 1024 * 1024;

test('cgroup v1 (cgroupfs driver, /proc/PID/cgroup): CPU seconds, working set = usage - total_inactive_file, limit, IO, network without lo', () => {
  const r = fixture('v1');
  assert.equal(r.version, 1);
  const loc = r.locate('abc123', 4242);
  assert.ok(loc && loc.version === 1);
  assert.deepEqual(r.read(loc, 4242), {
    cpuSeconds: 2.5,
    memoryWorkingSet: 300 * MiB - 50 * MiB,
    memoryLimit: 512 * MiB,
    ioReadBytes: 1048576 + 1024,
    ioWriteBytes: 4194304,
    netRxBytes: 36456 + 1000,
    netTxBytes: 62161 + 2000,
  });
});

test('cgroup v1 (systemd driver, cpu,cpuacct mounted together, no /proc entry): found where Docker puts it; no limit is null', () => {
  const r = fixture('v1-systemd');
  const loc = r.locate('abc123', 999);
  assert.ok(loc && loc.version === 1);
  const u = r.read(loc, 999);
  assert.equal(u.cpuSeconds, 1);
  assert.equal(u.memoryWorkingSet, 96 * MiB);
  assert.equal(u.memoryLimit, null);
  assert.equal(u.netRxBytes, 0);
  assert.equal(u.ioReadBytes, 0);
});

test('cgroup v2 (unified): usage_usec, memory.current - inactive_file, memory.max "max", io.stat', () => {
  const r = fixture('v2');
  assert.equal(r.version, 2);
  const loc = r.locate('abc123', 777);
  assert.deepEqual(loc, { version: 2, dir: path.join(ROOT, 'test/fixtures/cgroup/v2/sys/system.slice/docker-abc123.scope') });
  assert.deepEqual(r.read(loc!, 777), {
    cpuSeconds: 7.5,
    memoryWorkingSet: 200 * MiB - 32 * MiB,
    memoryLimit: null,
    ioReadBytes: 2097152 + 1024,
    ioWriteBytes: 1048576 + 2048,
    netRxBytes: 37456,
    netTxBytes: 64161,
  });
});

test('a container that is not there is not found', () => {
  assert.equal(fixture('v1').locate('nope', null), null);
  assert.equal(fixture('v2').locate('nope', 12345), null);
});

test('parsers: /proc/PID/cgroup, blkio, io.stat and net/dev edge cases', () => {
  const m = parseProcCgroup('4:memory:/docker/x\n2:cpu,cpuacct:/docker/x\n0::/docker/x\n');
  assert.equal(m.get('memory'), '/docker/x');
  assert.equal(m.get('cpuacct'), '/docker/x');
  assert.equal(m.get(''), '/docker/x');
  assert.deepEqual(parseBlkioV1('Total 0\n'), { read: 0, write: 0 });
  assert.deepEqual(parseIoStatV2(''), { read: 0, write: 0 });
  assert.deepEqual(parseNetDev('garbage\n'), { rx: 0, tx: 0 });
});
