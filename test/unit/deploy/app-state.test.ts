// The state the apps list shows for an app, from its serving release, last deploy and containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appState } from '../../../src/deploy/app-state.js';

test('an app is deploying while its newest deployment is queued or running', () => {
  assert.equal(appState({ release: 3, lastDeploy: 'queued', running: 2 }), 'deploying');
  assert.equal(appState({ release: null, lastDeploy: 'running', running: 0 }), 'deploying');
});

test('a failed deploy that left the old release running is still serving; one that never deployed is failed', () => {
  assert.equal(appState({ release: 3, lastDeploy: 'failed', running: 1 }), 'serving');
  assert.equal(appState({ release: null, lastDeploy: 'failed', running: 0 }), 'failed');
  assert.equal(appState({ release: null, lastDeploy: null, running: 0 }), 'new');
});

test('a release with no running container is stopped', () => {
  assert.equal(appState({ release: 2, lastDeploy: 'succeeded', running: 0 }), 'stopped');
  assert.equal(appState({ release: 2, lastDeploy: 'succeeded', running: 3 }), 'serving');
});
