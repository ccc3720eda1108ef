// Reading the Engine's event lines (events.ts) and a `die` event's exit code (exits.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEvent } from '../../../src/docker/events.js';
import { dieExitCode } from '../../../src/docker/exits.js';

const line = (action: string, attributes: Record<string, string>) =>
  JSON.stringify({ status: action, id: 'abc', Type: 'container', Action: action, Actor: { ID: 'abc', Attributes: attributes }, timeNano: 1 });

test('a die event line gives the container id and exit code', () => {
  const ev = parseEvent(line('die', { exitCode: '3', name: 'x' }));
  assert.deepEqual(ev, { id: 'abc', action: 'die', attributes: { exitCode: '3', name: 'x' } });
  assert.equal(dieExitCode(ev!), 3);
});

test('other events, blank or broken lines, and a die without an exit code give no exit code', () => {
  assert.equal(dieExitCode(parseEvent(line('start', {}))!), null);
  assert.equal(dieExitCode(parseEvent(line('die', {}))!), null);
  assert.equal(dieExitCode(parseEvent(line('die', { exitCode: '' }))!), null);
  assert.equal(parseEvent(''), null);
  assert.equal(parseEvent('{"Action": "di'), null);
});
