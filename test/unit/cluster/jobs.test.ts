// tasksReady: a job's depends_on on a long-running service, judged from the service's Swarm tasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tasksReady } from '../../../src/cluster/jobs.js';
import type { TaskInfo } from '../../../src/docker/swarm.js';

const task = (state: string, desiredState = 'running'): TaskInfo => ({
  id: `t-${state}`, serviceId: 's', slot: 1, nodeId: 'n', state, desiredState, message: '', err: '', exitCode: null, containerId: '', addresses: {}, updatedAt: '',
});

test('service_started: met once a task runs (or runs its healthcheck); why not otherwise', () => {
  assert.equal(tasksReady([task('running')], false, 'service_started'), null);
  assert.equal(tasksReady([task('starting')], true, 'service_started'), null);
  assert.equal(tasksReady([], false, 'service_started'), 'it has no running task');
  assert.equal(tasksReady([task('preparing'), task('assigned')], false, 'service_started'), 'its tasks are not running (preparing, assigned)');
  // A task Swarm is taking away (node drained) does not count.
  assert.equal(tasksReady([task('running', 'shutdown')], false, 'service_started'), 'it has no running task');
});

test('service_healthy: a running task whose Docker healthcheck passed; Swarm says `starting` until then', () => {
  assert.equal(tasksReady([task('starting'), task('running')], true, 'service_healthy'), null);
  assert.equal(tasksReady([task('starting')], true, 'service_healthy'), 'it is running but not healthy yet');
  assert.match(tasksReady([task('running')], false, 'service_healthy')!, /has no healthcheck to be healthy by .* service_started/);
});
