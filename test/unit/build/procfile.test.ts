// Procfile parsing in procfile-util's strict format: `name: command` lines, `#` and `//`
// comments, DNS-label names, and errors that name the line.
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

test('# and // comment lines, blank lines, CRLF endings and a BOM are accepted', () => {
  const text = '\uFEFF# processes\r\n\r\nweb: npm start\r\n   # indented comment\n// another style\n\nrelease: ./migrate\n';
  assert.deepEqual(parseProcfile(text), { web: 'npm start', release: './migrate' });
});

test('a trailing comment after whitespace is dropped; a # inside a word stays', () => {
  assert.deepEqual(parseProcfile('worker: rake jobs:work  # high priority\nclock: ./clock // every minute\nweb: echo a#b'), {
    worker: 'rake jobs:work',
    clock: './clock',
    web: 'echo a#b',
  });
});

test('the command keeps its colons, quotes and $PORT; spacing after ":" is optional', () => {
  assert.deepEqual(parseProcfile('web:gunicorn app:app --bind 0.0.0.0:$PORT\nclock:   sh -c "echo a: b"'), {
    web: 'gunicorn app:app --bind 0.0.0.0:$PORT',
    clock: 'sh -c "echo a: b"',
  });
});

test('names are DNS labels: lower-case letters, digits and "-"', () => {
  assert.deepEqual(Object.keys(parseProcfile('web-2: a\nworker9: b\n1st: c')), ['web-2', 'worker9', '1st']);
});

for (const [text, pattern] of [
  ['web: ok\nthis is not a process\n', /^Procfile line 2: expected "name: command"/],
  ['web node server.js', /^Procfile line 1: expected/],
  ['web.1: node a.js', /^Procfile line 1: expected/],
  ['clock : ./clock', /^Procfile line 1: expected/],
  ['web: a\n\n\nmy worker: b', /^Procfile line 4/],
  ['Web_1: a', /^Procfile line 1: process type "Web_1" is not a valid name: use lower-case letters/],
  ['worker_low: a', /^Procfile line 1: process type "worker_low" is not a valid name/],
  ['-web: a', /^Procfile line 1: process type "-web" is not a valid name/],
  [`${'a'.repeat(64)}: x`, /^Procfile line 1: .* is not a valid name/],
  ['web:', /^Procfile line 1: process type "web" has no command/],
  ['web:   # just a comment', /^Procfile line 1: process type "web" has a comment where its command should be/],
  ['web: a\nworker: b\nweb: c', /^Procfile line 3: process type "web" is declared twice \(first on line 1\)/],
  ['', /^Procfile declares no process type/],
  ['# nothing yet\n\n', /^Procfile declares no process type/],
] as const) {
  test(`refused with the line: ${JSON.stringify(text).slice(0, 60)}`, () => {
    assert.throws(() => parseProcfile(text), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  });
}
