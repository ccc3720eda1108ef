// Procfile parsing: Heroku's `name: command` lines, comments, and errors that name the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcfile } from '../../../src/build/procfile.js';
import { UserError } from '../../../src/errors.js';

test('each "name: command" line becomes a process type', () => {
  assert.deepEqual(parseProcfile('web: node server.js\nworker: node worker.js\n'), {
    web: 'node server.js',
    worker: 'node worker.js',
  });
});

test('comments, blank lines, CRLF endings and a BOM are accepted', () => {
  const text = '\uFEFF# processes\r\n\r\nweb: npm start\r\n   # indented comment\n\nrelease: ./migrate\n';
  assert.deepEqual(parseProcfile(text), { web: 'npm start', release: './migrate' });
});

test('the command keeps its colons, quotes and $PORT; spacing around ":" is optional', () => {
  assert.deepEqual(parseProcfile('web:gunicorn app:app --bind 0.0.0.0:$PORT\nclock :  sh -c "echo a: b"'), {
    web: 'gunicorn app:app --bind 0.0.0.0:$PORT',
    clock: 'sh -c "echo a: b"',
  });
});

test('names may use letters, digits, "_" and "-"', () => {
  assert.deepEqual(Object.keys(parseProcfile('web-2: a\nworker_low: b\nJob9: c')), ['web-2', 'worker_low', 'Job9']);
});

test('an empty Procfile has no process types', () => {
  assert.deepEqual(parseProcfile(''), {});
  assert.deepEqual(parseProcfile('# nothing yet\n\n'), {});
});

for (const [text, line, pattern] of [
  ['web: ok\nthis is not a process\n', 2, /line 2: expected "name: command"/],
  ['web node server.js', 1, /line 1/],
  ['web.1: node a.js', 1, /line 1/],
  ['web: a\n\n\nmy worker: b', 4, /line 4/],
  ['web:', 1, /line 1: process type "web" has no command/],
  ['web: a\nweb: b', 2, /line 2: process type "web" is declared twice/],
] as const) {
  test(`a bad line is a UserError naming line ${line}: ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseProcfile(text), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  });
}
