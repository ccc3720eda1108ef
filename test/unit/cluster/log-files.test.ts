// What the node agent tails for a swarm task: the declared directories, each only on the task's
// own log volume (named after the task, mounted at that directory) — a label naming any other
// volume, or no mount there, tails nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { taskLogFiles } from '../../../src/cluster/agent/log-files.js';
import type { ShippedContainer } from '../../../src/logs/ports.js';

const task = (label: string | undefined, mounts: { name: string; target: string }[]): ShippedContainer => ({
  id: 'c1',
  name: 'slipway_shop_worker_v3.1.abc',
  labels: label === undefined ? {} : { 'slipway.logs.files': label },
  running: true,
  mounts,
});
const own = { name: 'slipway_shop_worker_v3.1.abc-logs0', target: '/app/log' };
const declared = JSON.stringify([{ volume: '{{.Task.Name}}-logs0', target: '/app/log', pattern: '*.log' }]);

test("a task's declared directory is tailed on its own log volume", () => {
  assert.deepEqual(taskLogFiles(task(declared, [own])), [{ volume: own.name, target: '/app/log', pattern: '*.log' }]);
});

test('a label naming another volume, or a directory with no own volume mounted, tails nothing', () => {
  const foreign = JSON.stringify([{ volume: 'slipway_other_data', target: '/data', pattern: '*' }]);
  assert.deepEqual(taskLogFiles(task(foreign, [{ name: 'slipway_other_data', target: '/data' }])), []);
  assert.deepEqual(taskLogFiles(task(declared, [{ name: 'slipway_other_data', target: '/app/log' }])), []);
  assert.deepEqual(taskLogFiles(task(declared, [])), []);
  for (const bad of [undefined, '', 'not json', '{"target": "/app/log"}', '[null, 3]']) assert.deepEqual(taskLogFiles(task(bad, [own])), [], String(bad));
});
