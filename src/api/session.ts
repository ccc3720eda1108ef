// The dashboard's credential: a session cookie, accepted on /api as a deliberate second credential
// beside the bearer token, and kept narrow. It is httpOnly (page scripts never see it),
// SameSite=Strict and Path=/api (a browser sends it only with its own same-site requests to the
// API), and every state-changing request that relies on it must carry an Origin header naming
// this server: a form or fetch from another origin is refused even if a browser sent the cookie.
// A request with an Authorization header is judged by that header alone (CLI, scripts, git hook).
import type { NextFunction, Request, Response } from 'express';
import type { Sessions } from '../state/sessions.js';
import { authenticated } from './deadline.js';
import { SESSION_MAX_MS } from '../state/sessions.js';

export const SESSION_COOKIE = 'slipway_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session cookie's value, or ''. */
export function sessionCookie(req: Request): string {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return '';
}

/** `Set-Cookie` for a new session (Secure when the request came over https). */
export function sessionSetCookie(secret: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${secret}; Path=/api; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_MS / 1000}${secure ? '; Secure' : ''}`;
}

export function sessionClearCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/api; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/**
 * Whether `origin` (the request's Origin header) is this server: the origin the browser used to
 * reach it (scheme + Host), or one of `trusted` (SLIPWAY_PUBLIC_URL behind a TLS proxy). A missing
 * Origin is refused: browsers send it with every POST/PUT/PATCH/DELETE.
 */
export function originAllowed(origin: string | undefined, own: string, trusted: string[]): boolean {
  if (!origin || origin === 'null') return false;
  return origin === own || trusted.includes(origin);
}

export interface CredentialDeps {
  sessions: Sessions;
  /** The bearer-token check for requests that send Authorization. */
  bearer: (req: Request, res: Response, next: NextFunction) => void;
  /** Origins besides the request's own that may send state-changing requests (public URL). */
  trustedOrigins: string[];
}

export function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.headers.host ?? ''}`;
}

/** /api's gate: a bearer token, or a live session cookie (+ a same Origin when it changes state). */
export function requireCredential(deps: CredentialDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const cookie = sessionCookie(req);
    if (req.headers.authorization || !cookie) return deps.bearer(req, res, next);
    const session = deps.sessions.verify(cookie);
    if (!session) {
      res.setHeader('Set-Cookie', sessionClearCookie(req.secure));
      res.status(401).json({ error: 'session ended: sign in again' });
      return;
    }
    if (!SAFE_METHODS.has(req.method) && !originAllowed(req.headers.origin, ownOrigin(req), deps.trustedOrigins)) {
      res.status(403).json({ error: `cross-origin request refused: ${req.method} with the dashboard's session must come from the dashboard (Origin ${req.headers.origin ?? 'missing'})` });
      return;
    }
    res.locals.user = session.name;
    res.locals.session = true;
    authenticated(res);
    next();
  };
}
