// The last-resort policy: a failed connection is logged and the server keeps serving; any other
// uncaught error exits (the supervisor restarts Slipway and reconciliation repairs the rest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import winston from 'winston';
import { installLastResort, survivable } from '../../../src/supervisor/last-resort.js';

const codeError = (code: string) => Object.assign(new Error(`write ${code}`), { code });

test('connection-level errors are survivable; everything else is not', () => {
  for (const code of ['EPIPE', 'ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_WRITE_AFTER_END']) assert.equal(survivable(codeError(code)), true, code);
  for (const e of [new Error('boom'), new TypeError('x is undefined'), codeError('ENOSPC'), codeError('SQLITE_CORRUPT'), 'a string', null, undefined])
    assert.equal(survivable(e), false, String(e));
});

function harness() {
  const exits: number[] = [];
  const proc = Object.assign(new EventEmitter(), { exit: (code: number) => void exits.push(code) });
  const lines: string[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      lines.push(c.toString());
      cb();
    },
  });
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { proc, exits, lines, logger };
}

test('an EPIPE nobody caught is logged and the process keeps running', () => {
  const h = harness();
  const remove = installLastResort(h.logger, h.proc);
  h.proc.emit('uncaughtException', codeError('EPIPE'));
  h.proc.emit('unhandledRejection', codeError('ECONNRESET'));
  assert.deepEqual(h.exits, []);
  assert.match(h.lines.join(''), /still serving/);
  remove();
  assert.equal(h.proc.listenerCount('uncaughtException'), 0);
});

test('any other uncaught exception or rejection logs why and exits for the supervisor to restart', () => {
  const h = harness();
  installLastResort(h.logger, h.proc);
  h.proc.emit('uncaughtException', new TypeError('cannot read properties of undefined'));
  h.proc.emit('unhandledRejection', new Error('database is locked'));
  assert.deepEqual(h.exits, [70, 70]);
  assert.match(h.lines.join(''), /cannot read properties of undefined.*supervisor restarts|supervisor restarts.*cannot read properties/s);
});
