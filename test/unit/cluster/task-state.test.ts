// How the health wait reads a Swarm task, and which losses are Swarm's (followed) not the app's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { movedBySwarm, taskState } from '../../../src/cluster/task-state.js';
import type { TaskInfo } from '../../../src/docker/swarm.js';

const task = (over: Partial<TaskInfo>): TaskInfo => ({
  id: 't1', serviceId: 's1', slot: 1, nodeId: 'n1', state: 'running', desiredState: 'running', message: '', err: '', exitCode: null,
  containerId: 'c1', addresses: {}, updatedAt: '2026-01-01T00:00:00Z', ...over,
});

test('placing, pulling and starting count as starting; running as running', () => {
  for (const state of ['pending', 'assigned', 'preparing', 'starting']) assert.equal(taskState(task({ state }), false).status, 'created', state);
  assert.equal(taskState(task({}), false).status, 'running');
});

test('with a HEALTHCHECK, Swarm says starting until healthy, running once healthy', () => {
  assert.deepEqual(taskState(task({ state: 'starting' }), true).health?.status, 'starting');
  assert.deepEqual(taskState(task({ state: 'running' }), true).health?.status, 'healthy');
  // Still placed or pulled: its check has not begun, which is not "no healthcheck" (the wait goes on).
  for (const state of ['pending', 'assigned', 'preparing']) assert.deepEqual(taskState(task({ state }), true), { status: 'created', exitCode: 1, restartCount: 0, health: { status: 'starting', log: [] } }, state);
});

test('a task that exited or could not start is the app failing, with its exit code', () => {
  assert.deepEqual(taskState(task({ state: 'failed', exitCode: 3 }), false), { status: 'exited', exitCode: 3, restartCount: 0 });
  assert.equal(taskState(task({ state: 'rejected', err: 'No such image' }), false).status, 'exited');
  assert.equal(movedBySwarm(task({ state: 'failed', desiredState: 'shutdown' })), false);
});

test('a task Swarm is taking away (node lost, drained) is moved, not failed: the wait follows its replacement', () => {
  const lost = task({ state: 'running', desiredState: 'shutdown' });
  assert.equal(taskState(lost, false).status, 'removing');
  assert.equal(movedBySwarm(lost), true);
  assert.equal(movedBySwarm(task({ state: 'orphaned' })), true);
  assert.equal(movedBySwarm(task({})), false);
});
