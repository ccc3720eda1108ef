// Slipway's own structured, leveled log (winston). Passed in, never imported as a singleton
// by stage code; `createLogger` is called once by the server and by tests.
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(level = 'info', json = !process.stdout.isTTY): Logger {
  return winston.createLogger({
    level,
    format: json
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss' }),
          winston.format.printf(({ timestamp, level: l, message, ...meta }) => {
            const extra = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
            return `${String(timestamp)} ${l} ${String(message)}${extra}`;
          }),
        ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
