// /api/session — the dashboard signs in (an API token, or a one-time code from `slipway login:ui`)
// and out; /api/session/codes makes such a code. Sign-in and sign-out are mounted before /api's
// credential check (they are how a browser gets or drops one) and check Origin themselves.
import express, { type Request, type Response } from 'express';
import { UserError } from '../errors.js';
import type { State } from '../state/index.js';
import { body, stringField } from './http.js';
import { originAllowed, ownOrigin, sessionClearCookie, sessionCookie, sessionSetCookie } from './session.js';

function checkOrigin(req: Request, trusted: string[]): void {
  if (!originAllowed(req.headers.origin, ownOrigin(req), trusted))
    throw new UserError(`cross-origin request refused (Origin ${req.headers.origin ?? 'missing'}): sign in from the dashboard itself`, 403);
}

/** Before the credential check: POST (sign in) and DELETE (sign out). */
export function signInRouter(deps: { state: State; trustedOrigins: string[] }): express.Router {
  const { state } = deps;
  const r = express.Router();
  r.post('/', express.json({ limit: '4kb' }), (req: Request, res: Response) => {
    checkOrigin(req, deps.trustedOrigins);
    const secret = stringField(body(req), 'token')!.trim();
    const tokenId = secret.startsWith('swc_') ? state.sessions.redeemCode(secret) : (state.tokens.find(secret)?.id ?? null);
    if (tokenId === null) throw new UserError('that token is not valid: use an API token, or a fresh code from `slipway login:ui`', 401);
    const session = state.sessions.create(tokenId);
    const info = state.sessions.verify(session)!;
    res.setHeader('Set-Cookie', sessionSetCookie(session, req.secure));
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ user: info.name, expiresAt: info.expiresAt });
  });
  r.delete('/', (req: Request, res: Response) => {
    checkOrigin(req, deps.trustedOrigins);
    const ended = state.sessions.end(sessionCookie(req));
    res.setHeader('Set-Cookie', sessionClearCookie(req.secure));
    res.json({ signedOut: ended });
  });
  return r;
}

/** After the credential check: who is signed in, and one-time codes for `slipway login:ui`. */
export function sessionRouter(deps: { state: State }): express.Router {
  const r = express.Router();
  r.get('/', (_req, res) => {
    res.json({ user: res.locals.user as string, session: Boolean(res.locals.session) });
  });
  r.post('/codes', (req, res) => {
    // The code stands for the token the request came with; a session's token is found by name.
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    const row = deps.state.tokens.find(token);
    if (!row) throw new UserError('a sign-in code is made with an API token (slipway login:ui), not from a browser session', 403);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(deps.state.sessions.createCode(row.id));
  });
  return r;
}
