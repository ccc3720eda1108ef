// The deploys page's grouping of a deploy's output: sections at `-----> `, build steps inside
// them, the failing step and line marked; the outcome banner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupOutput, outcomeText } from '../../../ui/src/lib/deploy-output.js';

const OUTPUT = [
  '-----> Building demo (abc1234) with Dockerfile',
  '       Step 1/3 : FROM node:18-slim',
  '       Step 2/3 : RUN npm ci',
  '       added 12 packages',
  '       Step 3/3 : RUN npm test',
  '       Error: 1 test failed',
  ' !     build failed at step 3/3 (RUN npm test): exit code 1',
];

test('sections start at -----> lines and hold their build steps', () => {
  const [build] = groupOutput(OUTPUT);
  assert.equal(build!.title, 'Building demo (abc1234) with Dockerfile');
  assert.deepEqual(build!.steps.map((s) => s.title), ['Step 1/3 : FROM node:18-slim', 'Step 2/3 : RUN npm ci', 'Step 3/3 : RUN npm test']);
  assert.deepEqual(build!.steps[1]!.lines, ['       added 12 packages']);
});

test('the failure line marks its step and section as failed', () => {
  const [build] = groupOutput(OUTPUT);
  assert.equal(build!.failed, true);
  assert.deepEqual(build!.steps.map((s) => s.failed), [false, false, true]);
  assert.ok(build!.steps[2]!.lines.includes(' !     build failed at step 3/3 (RUN npm test): exit code 1'));
});

test('lines before the first header form an untitled section; a deploy without steps keeps its lines', () => {
  const groups = groupOutput(['queued behind deployment 3', '-----> v4: starting web green × 1', 'waiting for http://…', '-----> Deployed v4 at http://demo.localhost']);
  assert.deepEqual(groups.map((g) => g.title), ['', 'v4: starting web green × 1', 'Deployed v4 at http://demo.localhost']);
  assert.deepEqual(groups[1]!.lines, ['waiting for http://…']);
  assert.equal(groups.some((g) => g.failed), false);
});

test('the outcome banner says Deployed vN, or why not', () => {
  assert.equal(outcomeText({ status: 'succeeded', release: 7 }), 'Deployed v7');
  assert.equal(outcomeText({ status: 'failed', error: 'health check failed' }), 'Failed: health check failed');
  assert.match(outcomeText({ status: 'superseded' }), /newer push/);
});
