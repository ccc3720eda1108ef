// Who may call what: /api takes only a bearer token; /git also takes HTTP Basic (password = a
// token), which git clients need. Basic is refused on /api because a browser caches Basic
// credentials and sends them again by itself, so a page on another site could drive the API
// with them (cross-site request forgery); a bearer token is only ever sent by code holding it.
import type { NextFunction, Request, Response } from 'express';
import type { Tokens } from '../state/tokens.js';
import { authenticated } from './deadline.js';

/** The token of an `Authorization: Bearer TOKEN` header, else ''. */
export function bearerToken(req: Request): string {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

/** For git over HTTP: the password of a Basic header (the user name is ignored), or a bearer token. */
export function gitToken(req: Request): string {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!basic) return bearerToken(req);
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

export function requireToken(tokens: Tokens) {
  return (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    const who = token ? tokens.verify(token) : null;
    if (!who) {
      const basic = /^Basic\s/i.test(req.headers.authorization ?? '');
      const error = basic
        ? 'the API takes no HTTP Basic credentials (they are for git only): send "Authorization: Bearer TOKEN"'
        : token
          ? 'invalid token'
          : 'missing token: send "Authorization: Bearer TOKEN" (see `slipway login`)';
      res.status(401).json({ error });
      return;
    }
    res.locals.user = who;
    authenticated(res);
    next();
  };
}
