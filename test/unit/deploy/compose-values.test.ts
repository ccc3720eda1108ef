// Compose value syntaxes: interpolation, durations, memory, CPUs, commands, ports, volumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  interpolate, parseCount, parseCpus, parseDuration, parseExposeEntry, parseMemory, parsePortEntry, parseVolumeShort,
  splitShellWords,
} from '../../../src/deploy/compose-values.js';

const vars = { HOST: 'db', EMPTY: '', PORT: '5432' };
const run = (s: string) => {
  const unset: string[] = [];
  return { out: interpolate(s, vars, (n) => unset.push(n)), unset };
};

test('interpolation substitutes ${VAR} and $VAR from the app config', () => {
  assert.equal(run('postgres://${HOST}:$PORT/app').out, 'postgres://db:5432/app');
  assert.equal(run('no variables').out, 'no variables');
});

test('an unset variable becomes empty and is reported, as compose warns', () => {
  assert.deepEqual(run('a${MISSING}b'), { out: 'ab', unset: ['MISSING'] });
  assert.deepEqual(run('$MISSING2'), { out: '', unset: ['MISSING2'] });
});

test('defaults: ${VAR:-d} for unset or empty, ${VAR-d} for unset only', () => {
  assert.equal(run('${MISSING:-16}').out, '16');
  assert.equal(run('${EMPTY:-x}').out, 'x');
  assert.equal(run('${EMPTY-x}').out, '');
  assert.equal(run('${MISSING-x}').out, 'x');
  assert.equal(run('${HOST:-x}').out, 'db');
  assert.deepEqual(run('${MISSING:-fallback}').unset, []);
});

test('defaults may nest and contain colons', () => {
  assert.equal(run('${MISSING:-${HOST}:${PORT}}').out, 'db:5432');
  assert.equal(run('${MISSING:-redis://cache:6379/0}').out, 'redis://cache:6379/0');
});

test('replacements: ${VAR:+r} when set and non-empty, ${VAR+r} when set', () => {
  assert.equal(run('${HOST:+yes}').out, 'yes');
  assert.equal(run('${EMPTY:+yes}').out, '');
  assert.equal(run('${EMPTY+yes}').out, 'yes');
  assert.equal(run('${MISSING+yes}').out, '');
});

test('required variables: ${VAR:?msg} fails with the message', () => {
  assert.throws(() => run('${MISSING:?set the database url}'), /required variable MISSING is not set: set the database url/);
  assert.throws(() => run('${EMPTY:?must not be empty}'), /EMPTY is empty/);
  assert.equal(run('${EMPTY?x}').out, '');
  assert.equal(run('${HOST:?x}').out, 'db');
});

test('$$ is a literal dollar; a lone $ or an unclosed ${ is refused with the fix', () => {
  assert.equal(run('echo $$HOME').out, 'echo $HOME');
  assert.equal(run('$${HOST}').out, '${HOST}');
  assert.throws(() => run('cost: 5$'), /write \$\$ for a literal \$/);
  assert.throws(() => run('${HOST'), /unclosed/);
  assert.throws(() => run('${1abc}'), /expected a variable name/);
  assert.throws(() => run('${HOST!x}'), /invalid interpolation/);
});

test('durations are Go durations, in seconds', () => {
  assert.equal(parseDuration('10s'), 10);
  assert.equal(parseDuration('1m30s'), 90);
  assert.equal(parseDuration('500ms'), 0.5);
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('1.5m'), 90);
  assert.equal(parseDuration('2h45m10s'), 9910);
  assert.equal(parseDuration('100us'), 0.0001);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['10', '1 m', 'ten seconds', '', '1d', '-5s']) assert.throws(() => parseDuration(bad), /is not a duration/, bad);
});

test('memory sizes use binary units, as Docker reads them', () => {
  assert.equal(parseMemory('512m'), 512 * 1024 * 1024);
  assert.equal(parseMemory('256M'), 256 * 1024 * 1024);
  assert.equal(parseMemory('1g'), 1024 ** 3);
  assert.equal(parseMemory('1gb'), 1024 ** 3);
  assert.equal(parseMemory('1GiB'), 1024 ** 3);
  assert.equal(parseMemory('64k'), 65536);
  assert.equal(parseMemory('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseMemory(1048576), 1048576);
  assert.equal(parseMemory('1048576'), 1048576);
  assert.equal(parseMemory('100b'), 100);
  for (const bad of ['lots', '1x', '-1m', '0', '']) assert.throws(() => parseMemory(bad), /is not a memory size/, bad);
});

test('CPU counts become nano CPUs', () => {
  assert.equal(parseCpus('0.5'), 500_000_000);
  assert.equal(parseCpus(2), 2_000_000_000);
  assert.equal(parseCpus('1.25'), 1_250_000_000);
  for (const bad of ['0', 'half', '', -1]) assert.throws(() => parseCpus(bad), /is not a CPU count/, String(bad));
});

test('counts accept numbers and numeric strings only', () => {
  assert.equal(parseCount(3), 3);
  assert.equal(parseCount('3'), 3);
  assert.throws(() => parseCount('three'), /is not a whole number/);
  assert.throws(() => parseCount(1.5));
});

test('string commands split into words like a shell, without a shell', () => {
  assert.deepEqual(splitShellWords('node server.js --port 3000'), ['node', 'server.js', '--port', '3000']);
  assert.deepEqual(splitShellWords(`sh -c 'echo "$HOME" && ls'`), ['sh', '-c', 'echo "$HOME" && ls']);
  assert.deepEqual(splitShellWords('echo "a \\"quoted\\" word"'), ['echo', 'a "quoted" word']);
  assert.deepEqual(splitShellWords('a\\ b  c'), ['a b', 'c']);
  assert.deepEqual(splitShellWords(`echo '' ""`), ['echo', '', '']);
  assert.deepEqual(splitShellWords('  '), []);
  assert.throws(() => splitShellWords(`echo 'oops`), /unclosed ' quote/);
});

test('ports: the container side is what counts; a host side is noted', () => {
  assert.deepEqual(parsePortEntry('8080:3000'), { port: 3000, published: true });
  assert.deepEqual(parsePortEntry('3000'), { port: 3000, published: false });
  assert.deepEqual(parsePortEntry(3000), { port: 3000, published: false });
  assert.deepEqual(parsePortEntry('127.0.0.1:8080:80/tcp'), { port: 80, published: true });
  assert.deepEqual(parsePortEntry('[::1]:8080:80'), { port: 80, published: true });
  assert.deepEqual(parsePortEntry('9000-9005:3000-3005'), { port: 3000, published: true });
  assert.deepEqual(parsePortEntry({ target: 80, published: '8080' }), { port: 80, published: true });
  assert.deepEqual(parsePortEntry({ target: '80' }), { port: 80, published: false });
  for (const bad of ['8080:http', '0', '70000', { target: 'x' }]) assert.throws(() => parsePortEntry(bad), /does not name a container port/);
});

test('expose entries give their first port', () => {
  assert.equal(parseExposeEntry('6379'), 6379);
  assert.equal(parseExposeEntry(6379), 6379);
  assert.equal(parseExposeEntry('53/udp'), 53);
  assert.equal(parseExposeEntry('3000-3005'), 3000);
  assert.throws(() => parseExposeEntry('redis'), /does not name a container port/);
});

test('volume short syntax: named volumes, host paths and modes', () => {
  assert.deepEqual(parseVolumeShort('data:/var/lib/data'), { type: 'volume', source: 'data', target: '/var/lib/data', readOnly: false });
  assert.deepEqual(parseVolumeShort('data:/d:ro'), { type: 'volume', source: 'data', target: '/d', readOnly: true });
  assert.deepEqual(parseVolumeShort('/srv/x:/x:rw'), { type: 'bind', source: '/srv/x', target: '/x', readOnly: false });
  assert.deepEqual(parseVolumeShort('./x:/x'), { type: 'bind', source: './x', target: '/x', readOnly: false });
  assert.deepEqual(parseVolumeShort('~/x:/x'), { type: 'bind', source: '~/x', target: '/x', readOnly: false });
  assert.deepEqual(parseVolumeShort('/cache'), { type: 'volume', target: '/cache', readOnly: false });
  assert.throws(() => parseVolumeShort('data:/d:z'), /mode "z".*use ro or rw/);
  assert.throws(() => parseVolumeShort('a:b:c:d'), /SOURCE:TARGET/);
});
