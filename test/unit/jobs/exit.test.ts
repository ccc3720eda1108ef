// exitCode: an attempt's exit from the `die` event or the wait API, whichever may be trusted first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCode } from '../../../src/jobs/exit.js';

const never = () => new Promise<number>(() => undefined);
const later = <T>(value: T, ms: number) => new Promise<T>((r) => setTimeout(() => r(value), ms));

test('a die event saying 0 is the exit: dependents need not wait for the wait API', async () => {
  assert.equal(await exitCode(Promise.resolve(0), never()), 0);
});

test('a non-zero die code waits for the wait API, whose code is the one recorded', async () => {
  assert.equal(await exitCode(Promise.resolve(255), later(3, 5)), 3);
});

test('no die event (the stream missed it): the wait API answers', async () => {
  assert.equal(await exitCode(never(), later(0, 5)), 0);
  assert.equal(await exitCode(never(), later(7, 5)), 7);
});

test('a failed wait is the error unless a die event said 0 first', async () => {
  await assert.rejects(exitCode(never(), Promise.reject(new Error('cannot wait for abc'))), /cannot wait/);
  await assert.rejects(exitCode(Promise.resolve(1), Promise.reject(new Error('cannot wait for abc'))), /cannot wait/);
  assert.equal(await exitCode(Promise.resolve(0), later(0, 5).then(() => Promise.reject(new Error('late')))), 0);
});
