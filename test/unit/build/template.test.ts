// Buildpack template rendering: #if/#else/#endif directives and the web CMD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate, webCommand } from '../../../src/build/template.js';
import { UserError } from '../../../src/errors.js';

const facts = (files: string[] = [], ca = false, web: string | null = 'node a.js') => ({ files: new Set(files), ca, web });

test('#if file keeps its lines when any named file exists, #else otherwise', () => {
  const t = 'A\n#if file x.lock y.lock\nLOCK\n#else\nNOLOCK\n#endif\nB';
  assert.equal(renderTemplate(t, facts(['y.lock'])), 'A\nLOCK\nB');
  assert.equal(renderTemplate(t, facts([])), 'A\nNOLOCK\nB');
});

test('#if !file, #if ca, and nesting', () => {
  const t = '#if ca\nCA\n#if !file a\nNO-A\n#endif\n#endif\nEND';
  assert.equal(renderTemplate(t, facts([], true)), 'CA\nNO-A\nEND');
  assert.equal(renderTemplate(t, facts(['a'], true)), 'CA\nEND');
  assert.equal(renderTemplate(t, facts([], false)), 'END');
});

test('an #else inside an inactive branch stays inactive', () => {
  assert.equal(renderTemplate('#if ca\n#if file a\nX\n#else\nY\n#endif\n#endif\nZ', facts([], false)), 'Z');
});

test('ordinary # comments are kept as Dockerfile comments', () => {
  assert.equal(renderTemplate('# hello\n#ifdef-ish comment\nFROM x', facts()), '# hello\n#ifdef-ish comment\nFROM x');
});

test('{{web}} becomes a JSON CMD through sh -c', () => {
  assert.equal(renderTemplate('CMD {{web}}', facts([], false, 'node server.js')), 'CMD ["sh","-c","exec node server.js"]');
});

for (const [t, pattern] of [
  ['#if ca\nX', /#if without #endif/],
  ['#endif', /line 1: #endif without #if/],
  ['#else', /#else without #if/],
  ['#if ca\n#else\n#else\n#endif', /line 3: second #else/],
  ['#if sometimes', /unknown condition/],
  ['#if file', /needs at least one file name/],
] as const) {
  test(`a malformed template is refused: ${JSON.stringify(t)}`, () => {
    assert.throws(() => renderTemplate(t, facts()), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  });
}

test('a simple web command is exec\'d (PID 1 gets SIGTERM); compound ones stay under the shell', () => {
  assert.deepEqual(webCommand('node server.js --port $PORT'), ['sh', '-c', 'exec node server.js --port $PORT']);
  assert.deepEqual(webCommand('./migrate && node server.js'), ['sh', '-c', './migrate && node server.js']);
  assert.deepEqual(webCommand('a; b'), ['sh', '-c', 'a; b']);
  assert.deepEqual(webCommand('a | b'), ['sh', '-c', 'a | b']);
  assert.deepEqual(webCommand('node $(cat entry)'), ['sh', '-c', 'node $(cat entry)']);
  assert.deepEqual(webCommand('exec node x.js'), ['sh', '-c', 'exec node x.js']);
});

test('no web process at all gives a command that explains itself', () => {
  const cmd = webCommand(null);
  assert.equal(cmd[0], 'sh');
  assert.match(cmd[2] ?? '', /no web process/);
});
