import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEntry, logsQuery, shortContainer } from '../../../src/cli/logs-command.js';
import type { LogEntry } from '../../../src/logs/entry.js';

const e: LogEntry = { ts: '2024-05-01T10:00:00.123456789Z', app: 'demo', service: 'web', container: 'slipway-demo-web-blue-1', stream: 'stdout', release: 7, line: 'hello' };

test('plain output is time, service.container and the line; stderr and files are marked', () => {
  assert.equal(formatEntry(e, false), '2024-05-01T10:00:00.123Z web.blue-1 | hello');
  assert.equal(formatEntry({ ...e, stream: 'stderr' }, false), '2024-05-01T10:00:00.123Z web.blue-1 [stderr] | hello');
  assert.equal(formatEntry({ ...e, stream: 'file:/var/log/app.log' }, false), '2024-05-01T10:00:00.123Z web.blue-1 [/var/log/app.log] | hello');
  assert.equal(formatEntry({ ...e, service: 'build', container: '', stream: 'build' }, false), '2024-05-01T10:00:00.123Z build | hello');
});

test('--json prints one object a line with ts, service, container, stream, release, line', () => {
  assert.deepEqual(JSON.parse(formatEntry(e, true)), { ts: e.ts, service: 'web', container: e.container, stream: 'stdout', release: 7, line: 'hello' });
});

test('container names are shortened to what tells replicas and colors apart', () => {
  assert.equal(shortContainer('slipway-demo-web-blue-1', 'web'), 'blue-1');
  assert.equal(shortContainer('slipway-demo-worker-v7-2', 'worker'), 'v7-2');
  assert.equal(shortContainer('something-else-entirely', 'web'), 'something-el');
});

test('options become the API query', () => {
  assert.equal(logsQuery({}), '');
  assert.equal(
    logsQuery({ service: 'web', stream: 'stderr', since: '10m', grep: 'time out', lines: '500', release: 'v7', follow: true }),
    '?service=web&stream=stderr&since=10m&grep=time+out&release=v7&n=500&follow=1',
  );
});
