// The build log: Engine messages become plain, indented lines as they arrive, and a failure
// names the failing step with its last output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildLog } from '../../../src/build/build-log.js';

function newLog() {
  const lines: string[] = [];
  return { lines, log: new BuildLog((l) => lines.push(l), 3) };
}

test('stream text is split into lines even when messages cut lines in two', () => {
  const { lines, log } = newLog();
  log.push({ stream: 'Step 1/2 : FROM node:18-slim' });
  log.push({ stream: '\n' });
  log.push({ stream: 'hello wo' });
  log.push({ stream: 'rld\nsecond\n' });
  log.push({ stream: 'no newline at the end' });
  log.end();
  assert.deepEqual(lines, ['       Step 1/2 : FROM node:18-slim', '       hello world', '       second', '       no newline at the end']);
});

test('Engine bookkeeping is dropped; "Using cache" is kept', () => {
  const { lines, log } = newLog();
  log.push({ stream: ' ---> Running in 3c2a1b0d9e8f\n' });
  log.push({ stream: 'Removing intermediate container 3c2a1b0d9e8f\n' });
  log.push({ stream: ' ---> 1ad19ec776aa\n' });
  log.push({ stream: ' ---> Using cache\n' });
  log.push({ stream: 'Successfully tagged slipway/x:build-1\n' });
  assert.deepEqual(lines, ['        ---> Using cache']);
});

test('colour codes Docker adds to stderr and \\r progress redraws are cleaned', () => {
  const { lines, log } = newLog();
  log.push({ stream: '\u001b[91mnpm ERR! 404\u001b[0m\n' });
  log.push({ stream: 'progress 10%\rprogress 50%\rprogress 100%\n' });
  assert.deepEqual(lines, ['       npm ERR! 404', '       progress 100%']);
});

test('base image pull summaries are shown, per-layer progress is not', () => {
  const { lines, log } = newLog();
  log.push({ status: 'Pulling from library/node', id: '18-slim' });
  log.push({ status: 'Downloading', id: 'abc', progressDetail: { current: 1, total: 2 } });
  log.push({ status: 'Status: Downloaded newer image for node:18-slim' });
  assert.deepEqual(lines, ['       Status: Downloaded newer image for node:18-slim']);
});

test('the image id comes from the aux message', () => {
  const { log: l } = newLog();
  l.push({ aux: { ID: 'sha256:abc' } });
  assert.equal(l.imageId, 'sha256:abc');
});

test('a failure names the step, its last output lines, and the Engine\'s reason', () => {
  const { log: l } = newLog();
  l.push({ stream: 'Step 1/3 : FROM debian:bookworm-slim\n' });
  l.push({ stream: 'Step 2/3 : RUN ./build.sh\n' });
  for (const s of ['line 1', 'line 2', 'line 3', 'line 4', 'error: boom']) l.push({ stream: s + '\n' });
  l.push({ errorDetail: { code: 1, message: "The command '/bin/sh -c ./build.sh' returned a non-zero code: 1" }, error: 'x' });
  assert.equal(l.error, "The command '/bin/sh -c ./build.sh' returned a non-zero code: 1");
  assert.equal(
    l.failureMessage(),
    [
      'build failed at Step 2/3 : RUN ./build.sh',
      '       line 3',
      '       line 4',
      '       error: boom',
      "The command '/bin/sh -c ./build.sh' returned a non-zero code: 1",
    ].join('\n'),
  );
});

test('a failure before any step (bad Dockerfile) is reported as the Engine says it', () => {
  const { log: l } = newLog();
  l.push({ error: 'dockerfile parse error line 2: unknown instruction: RUNN' });
  assert.equal(l.failureMessage(), 'build failed: dockerfile parse error line 2: unknown instruction: RUNN');
});
