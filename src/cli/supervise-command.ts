// `slipway supervise`: runs `slipway server` under Slipway's own supervisor (src/supervisor/),
// for hosts without systemd; `npm run up` starts it, `npm run down` stops it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { dataPaths, loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { Supervisor } from '../supervisor/supervise.js';

export async function runSuperviseCommand(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const run = dataPaths(config).run;
  mkdirSync(run, { recursive: true });
  // The same node, flags (e.g. a TypeScript loader) and entry point as this process.
  const supervisor = new Supervisor({
    command: process.execPath,
    args: [...process.execArgv, process.argv[1]!, 'server'],
    logger,
    pidFile: path.join(run, 'slipway-server.pid'),
  });
  supervisor.start();
  const stop = (signal: string) => {
    logger.info('supervisor stopping', { signal });
    void supervisor.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
