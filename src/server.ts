// Composition root: builds every stage's adapters from one Config, wires them together, and
// starts the HTTP server. The only place that knows all the parts.
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { type Config, dataPaths } from './config.js';
import type { Logger } from './log.js';
import { openState, type State } from './state/index.js';
import { createHttpApp } from './api/server.js';
import { appsRouter } from './api/apps-routes.js';

export interface RunningServer {
  url: string;
  port: number;
  state: State;
  close(): Promise<void>;
}

/** Reads the admin token file, or creates a token and writes it 0600 on first start. */
export function ensureAdminToken(state: State, file: string): string {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing && state.tokens.verify(existing)) return existing;
  } catch {
    /* first start */
  }
  const token = state.tokens.create('admin');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const paths = dataPaths(config);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const state = openState(paths.stateDb);
  ensureAdminToken(state, paths.adminToken);

  const app = createHttpApp({
    tokens: state.tokens,
    logger,
    raw: {},
    api: {
      '/apps': appsRouter({ config, state, destroyApp: async () => {} }),
    },
    health: () => ({ version: '0.1.0' }),
  });

  const server = http.createServer(app);
  // Pushes wait for build + deploy; never cut a long request short.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  logger.info('slipway listening', { url, dataDir: config.dataDir });

  return {
    url,
    port,
    state,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      state.close();
    },
  };
}
