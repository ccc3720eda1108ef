// Server-sent events' wire text: one data field per line, CRs dropped, id and event when given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sseText } from '../../../src/api/sse.js';

test('an event is its fields then a blank line; a multi-line payload is one data field per line', () => {
  assert.equal(sseText({ data: 'hello' }), 'data: hello\n\n');
  assert.equal(sseText({ id: 7, event: 'status', data: '{"ok":true}' }), 'id: 7\nevent: status\ndata: {"ok":true}\n\n');
  assert.equal(sseText({ data: 'a\nb' }), 'data: a\ndata: b\n\n');
});

test('a carriage return (build progress bars) cannot end a field early', () => {
  assert.equal(sseText({ data: 'Step 1/3\r50%\r100%' }), 'data: Step 1/350%100%\n\n');
});
