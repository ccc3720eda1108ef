// The HTTP front door: /healthz, /api (a bearer token, or the dashboard's session cookie), git
// over HTTP, webhooks, and the dashboard's files. Routers come in from the composition root
// (src/server.ts); this file only mounts them.
import express, { type Router } from 'express';
import type { Logger } from '../log.js';
import type { Sessions } from '../state/sessions.js';
import type { Tokens } from '../state/tokens.js';
import { requireToken } from './auth.js';
import { requireCredential } from './session.js';
import { unauthenticatedDeadline } from './deadline.js';
import { errorHandler, notFound } from './http.js';

export interface ApiParts {
  tokens: Tokens;
  sessions: Sessions;
  /** Origins besides the request's own whose state-changing requests a session may make. */
  trustedOrigins: string[];
  logger: Logger;
  /** Sign-in and sign-out (/api/session), mounted before the credential check. */
  signIn: Router;
  /** The dashboard's pages and assets, tried after every other route. */
  dashboard?: Router;
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
  app.use('/api/session', parts.signIn);
  api.use(requireCredential({ sessions: parts.sessions, bearer: requireToken(parts.tokens), trustedOrigins: parts.trustedOrigins }));
  // Upload routes take raw streams; JSON only where the body is JSON.
  api.use(express.json({ limit: '1mb', type: 'application/json' }));
  for (const [path, router] of Object.entries(parts.api)) api.use(path, router);
  app.use('/api', api);
  if (parts.dashboard) app.use(parts.dashboard);
  app.use(notFound);
  app.use(errorHandler(parts.logger));
  return app;
}
