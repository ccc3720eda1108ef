import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../src/errors.js';
import { filtersFromQuery, parseRelease, parseSince } from '../../../src/logs/filters.js';
import { isoNano, normalizeTs } from '../../../src/logs/entry.js';

const now = new Date('2024-05-01T12:00:00Z');

test('since takes durations before now and ISO times', () => {
  assert.equal(parseSince('10m', now).toISOString(), '2024-05-01T11:50:00.000Z');
  assert.equal(parseSince('2h', now).toISOString(), '2024-05-01T10:00:00.000Z');
  assert.equal(parseSince('1h30m', now).toISOString(), '2024-05-01T10:30:00.000Z');
  assert.equal(parseSince('90s', now).toISOString(), '2024-05-01T11:58:30.000Z');
  assert.equal(parseSince('1d', now).toISOString(), '2024-04-30T12:00:00.000Z');
  assert.equal(parseSince('2024-05-01T09:00:00Z', now).toISOString(), '2024-05-01T09:00:00.000Z');
  for (const bad of ['10', 'ten minutes', '10y', '', '2024-13-45']) assert.throws(() => parseSince(bad, now), UserError, bad);
});

test('a release is v7 or 7', () => {
  assert.equal(parseRelease('v7'), 7);
  assert.equal(parseRelease('7'), 7);
  assert.equal(parseRelease('V12'), 12);
  for (const bad of ['v', 'latest', '7.1', '-1']) assert.throws(() => parseRelease(bad), UserError);
});

test('query parameters become filters; n defaults to 100', () => {
  assert.deepEqual(filtersFromQuery('demo', {}, now), { app: 'demo', limit: 100 });
  assert.deepEqual(filtersFromQuery('demo', { service: 'web', stream: 'stderr', release: 'v7', since: '10m', grep: 'timeout', n: '500' }, now), {
    app: 'demo',
    service: 'web',
    stream: 'stderr',
    release: 7,
    since: new Date('2024-05-01T11:50:00Z'),
    grep: 'timeout',
    limit: 500,
  });
  assert.equal(filtersFromQuery('demo', { stream: 'file:/var/log/app/app.log' }, now).stream, 'file:/var/log/app/app.log');
});

test('bad query parameters are the user’s to fix and say what is accepted', () => {
  assert.throws(() => filtersFromQuery('demo', { n: '0' }, now), /n must be a whole number/);
  assert.throws(() => filtersFromQuery('demo', { n: 'lots' }, now), UserError);
  assert.throws(() => filtersFromQuery('demo', { stream: 'stdin' }, now), /stdout, stderr/);
  assert.throws(() => filtersFromQuery('demo', { service: ['a', 'b'] }, now), /given once/);
});

test('timestamps are stored with nine fraction digits so text order is time order', () => {
  assert.equal(normalizeTs('2024-05-01T10:00:00.5Z'), '2024-05-01T10:00:00.500000000Z');
  assert.equal(normalizeTs('2024-05-01T10:00:00Z'), '2024-05-01T10:00:00.000000000Z');
  assert.equal(normalizeTs('2024-05-01T10:00:00.123456789Z'), '2024-05-01T10:00:00.123456789Z');
  assert.equal(normalizeTs('yesterday'), null);
  assert.equal(isoNano(new Date('2024-05-01T10:00:00.123Z')), '2024-05-01T10:00:00.123000000Z');
  assert.ok(normalizeTs('2024-05-01T10:00:00.9Z')! > normalizeTs('2024-05-01T10:00:00.10Z')!);
});
