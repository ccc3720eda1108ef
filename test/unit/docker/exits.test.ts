// parseDie: reading a `die` event line of the Engine's event stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDie } from '../../../src/docker/exits.js';

test('a die event line gives the container id and exit code', () => {
  const line = JSON.stringify({ status: 'die', id: 'abc', Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { exitCode: '3', name: 'x' } }, timeNano: 1 });
  assert.deepEqual(parseDie(line), { id: 'abc', exitCode: 3 });
});

test('other events, blank or broken lines, and a die without an exit code are ignored', () => {
  assert.equal(parseDie(JSON.stringify({ Action: 'start', Actor: { ID: 'abc', Attributes: {} } })), null);
  assert.equal(parseDie(JSON.stringify({ Action: 'die', Actor: { ID: 'abc', Attributes: {} } })), null);
  assert.equal(parseDie(''), null);
  assert.equal(parseDie('{"Action": "di'), null);
});
