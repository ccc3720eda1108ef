// The HTTP front door: /healthz, token-authenticated /api, git over HTTP and webhooks.
// Routers come in from the composition root (src/server.ts); this file only mounts them.
import express, { type Router } from 'express';
import type { Logger } from '../log.js';
import type { Tokens } from '../state/tokens.js';
import { requireToken } from './auth.js';
import { unauthenticatedDeadline } from './deadline.js';
import { errorHandler, notFound } from './http.js';

export interface ApiParts {
  tokens: Tokens;
  logger: Logger;
  /** Mounted under /api after the token check, by path. */
  api: Record<string, Router>;
  /** Mounted before any body parser, with their own auth: `/git`, `/webhooks`. */
  raw: Record<string, Router>;
  health: () => Record<string, unknown>;
  /** Seconds a request has to arrive before it is authenticated (see deadline.ts). */
  unauthenticatedTimeoutSeconds: number;
}

export function createHttpApp(parts: ApiParts): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(unauthenticatedDeadline(parts.unauthenticatedTimeoutSeconds));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, ...parts.health() });
  });
  for (const [path, router] of Object.entries(parts.raw)) app.use(path, router);
  const api = express.Router();
  api.use(requireToken(parts.tokens));
  // Upload routes take raw streams; JSON only where the body is JSON.
  api.use(express.json({ limit: '1mb', type: 'application/json' }));
  for (const [path, router] of Object.entries(parts.api)) api.use(path, router);
  app.use('/api', api);
  app.use(notFound);
  app.use(errorHandler(parts.logger));
  return app;
}
