// `slipway server`: loads the config, starts the server under umask 077, stops cleanly on
// SIGTERM/SIGINT; an error nothing caught goes to the last-resort policy (src/supervisor/last-resort.ts).
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { startServer } from '../server.js';
import { installLastResort } from '../supervisor/last-resort.js';

export async function runServerCommand(): Promise<void> {
  // Everything the server writes (state, logs, build output, repos) is its own user's only.
  process.umask(0o077);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  installLastResort(logger);
  const server = await startServer(config, logger);
  const stop = (signal: string) => {
    logger.info('stopping', { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
