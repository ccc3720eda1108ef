// Schedule arithmetic: 5- and 6-field cron, shortcuts, time zones, and cron's rules for the
// clock changes (Europe/Berlin: 2024-03-31 02:00 → 03:00, 2024-10-27 03:00 → 02:00).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCron, checkTimezone, isFixedTime, nextTicks, planTicks } from '../../../src/jobs/cron.js';

const berlin = (cron: string) => ({ cron, timezone: 'Europe/Berlin' });
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());
const at = (s: string) => new Date(s);

test('5 fields, 6 fields with seconds first, and shortcuts', () => {
  assert.deepEqual(iso(nextTicks({ cron: '30 2 * * *', timezone: 'UTC' }, at('2024-01-01T00:00:00Z'), 2)), ['2024-01-01T02:30:00.000Z', '2024-01-02T02:30:00.000Z']);
  assert.deepEqual(iso(nextTicks({ cron: '*/20 * * * * *', timezone: 'UTC' }, at('2024-01-01T00:00:00Z'), 3)), [
    '2024-01-01T00:00:20.000Z', '2024-01-01T00:00:40.000Z', '2024-01-01T00:01:00.000Z',
  ]);
  assert.deepEqual(iso(nextTicks({ cron: '@hourly', timezone: 'UTC' }, at('2024-01-01T00:10:00Z'), 1)), ['2024-01-01T01:00:00.000Z']);
  assert.deepEqual(iso(nextTicks({ cron: '@daily', timezone: 'UTC' }, at('2024-01-01T00:10:00Z'), 1)), ['2024-01-02T00:00:00.000Z']);
  assert.deepEqual(iso(nextTicks({ cron: '@weekly', timezone: 'UTC' }, at('2024-01-01T00:10:00Z'), 1)), ['2024-01-07T00:00:00.000Z']);
  assert.deepEqual(iso(nextTicks({ cron: '@monthly', timezone: 'UTC' }, at('2024-01-01T00:10:00Z'), 1)), ['2024-02-01T00:00:00.000Z']);
});

test('the time zone decides the instant', () => {
  assert.deepEqual(iso(nextTicks(berlin('30 2 * * *'), at('2024-01-10T00:00:00Z'), 1)), ['2024-01-10T01:30:00.000Z']);
  assert.deepEqual(iso(nextTicks(berlin('30 2 * * *'), at('2024-07-10T00:00:00Z'), 1)), ['2024-07-10T00:30:00.000Z']);
});

test('bad expressions and zones are refused with what to write', () => {
  assert.throws(() => checkCron('* * *'), /has 3 fields: write 5 \(minute hour day month weekday\), 6 \(seconds first\)/);
  assert.throws(() => checkCron('61 * * * *'), /is not a cron expression: .*61/);
  assert.throws(() => checkCron('@often'), /unknown shortcut "@often" \(known: @yearly/);
  assert.throws(() => checkTimezone('Mars/Base'), /"Mars\/Base" is not a time zone \(write an IANA name such as Europe\/Berlin/);
  checkCron('0 30 2 * * *');
  checkTimezone('Europe/Berlin');
});

test('fixed-time and wildcard jobs are told apart as cron does', () => {
  assert.equal(isFixedTime('30 2 * * *'), true);
  assert.equal(isFixedTime('0 30 2 * * *'), true);
  assert.equal(isFixedTime('@daily'), true);
  assert.equal(isFixedTime('@hourly'), false);
  assert.equal(isFixedTime('*/15 2 * * *'), false);
  assert.equal(isFixedTime('*/5 30 2 * * *'), false);
});

test('DST spring (Berlin 02:00 → 03:00): a time the clock skips runs once, right after the change', () => {
  // 02:30 does not exist on 2024-03-31: it runs at 03:00 CEST (01:00Z), once; the next day as usual.
  assert.deepEqual(iso(nextTicks(berlin('30 2 * * *'), at('2024-03-30T12:00:00Z'), 3)), [
    '2024-03-31T01:00:00.000Z', '2024-04-01T00:30:00.000Z', '2024-04-02T00:30:00.000Z',
  ]);
  assert.deepEqual(iso(nextTicks(berlin('0 30 2 * * *'), at('2024-03-30T12:00:00Z'), 1)), ['2024-03-31T01:00:00.000Z']);
  assert.deepEqual(iso(nextTicks(berlin('0 2 * * *'), at('2024-03-30T12:00:00Z'), 2)), ['2024-03-31T01:00:00.000Z', '2024-04-01T00:00:00.000Z']);
  // A time after the gap is untouched, and one that the expression also names still runs.
  assert.deepEqual(iso(nextTicks(berlin('30 3 * * *'), at('2024-03-30T12:00:00Z'), 1)), ['2024-03-31T01:30:00.000Z']);
  assert.deepEqual(iso(nextTicks(berlin('30 2,3 * * *'), at('2024-03-30T12:00:00Z'), 3)), [
    '2024-03-31T01:00:00.000Z', '2024-03-31T01:30:00.000Z', '2024-04-01T00:30:00.000Z',
  ]);
  // Wildcard jobs follow elapsed time: every half hour, the skipped hour has none.
  assert.deepEqual(iso(nextTicks(berlin('*/30 * * * *'), at('2024-03-31T00:00:00Z'), 3)), [
    '2024-03-31T00:30:00.000Z', '2024-03-31T01:00:00.000Z', '2024-03-31T01:30:00.000Z',
  ]);
});

test('DST autumn (Berlin 03:00 → 02:00): a time that occurs twice runs once, at the first', () => {
  assert.deepEqual(iso(nextTicks(berlin('30 2 * * *'), at('2024-10-26T12:00:00Z'), 2)), ['2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z']);
  assert.deepEqual(iso(nextTicks(berlin('0,30 2 * * *'), at('2024-10-26T12:00:00Z'), 3)), [
    '2024-10-27T00:00:00.000Z', '2024-10-27T00:30:00.000Z', '2024-10-28T01:00:00.000Z',
  ]);
  // Asked from inside the repeated hour (02:40 CEST), the second 02:15 (CET) is not a new time.
  assert.deepEqual(iso(nextTicks(berlin('15 2 * * *'), at('2024-10-27T00:40:00Z'), 1)), ['2024-10-28T01:15:00.000Z']);
  // An hourly (wildcard) job runs every real hour, both 02:00s included.
  assert.deepEqual(iso(nextTicks(berlin('0 * * * *'), at('2024-10-26T23:30:00Z'), 3)), [
    '2024-10-27T00:00:00.000Z', '2024-10-27T01:00:00.000Z', '2024-10-27T02:00:00.000Z',
  ]);
});

test('after downtime: at most one run, the newest tick within the deadline; the rest are missed', () => {
  const everyMinute = { cron: '* * * * *', timezone: 'UTC' };
  const p = planTicks(everyMinute, at('2024-01-01T00:00:00Z'), at('2024-01-01T00:05:30Z'), 60_000, 20);
  assert.equal(p.run?.toISOString(), '2024-01-01T00:05:00.000Z');
  assert.deepEqual(iso(p.missed), ['2024-01-01T00:01:00.000Z', '2024-01-01T00:02:00.000Z', '2024-01-01T00:03:00.000Z', '2024-01-01T00:04:00.000Z']);
  assert.equal(p.through?.toISOString(), '2024-01-01T00:05:00.000Z');
  // Too late for the deadline: nothing runs, the tick is recorded missed.
  const late = planTicks(everyMinute, at('2024-01-01T00:00:00Z'), at('2024-01-01T00:01:50Z'), 30_000, 20);
  assert.equal(late.run, null);
  assert.deepEqual(iso(late.missed), ['2024-01-01T00:01:00.000Z']);
  // Only the newest `keep` are listed; the count of the others is kept.
  const many = planTicks({ cron: '* * * * * *', timezone: 'UTC' }, at('2024-01-01T00:00:00Z'), at('2024-01-01T00:10:00.5Z'), 5000, 3);
  assert.equal(many.run?.toISOString(), '2024-01-01T00:10:00.000Z');
  assert.deepEqual(iso(many.missed), ['2024-01-01T00:09:57.000Z', '2024-01-01T00:09:58.000Z', '2024-01-01T00:09:59.000Z']);
  assert.equal(many.unlisted, 596);
  // Nothing due.
  const none = planTicks(everyMinute, at('2024-01-01T00:00:00Z'), at('2024-01-01T00:00:30Z'), 60_000, 20);
  assert.deepEqual(none, { run: null, missed: [], unlisted: 0, through: null });
});
