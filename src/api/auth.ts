// Bearer-token auth for /api, and HTTP basic (password = token) for git over HTTP.
import type { NextFunction, Request, Response } from 'express';
import type { Tokens } from '../state/tokens.js';
import { authenticated } from './deadline.js';

export function tokenFrom(req: Request): string {
  const h = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(h);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+(\S+)$/i.exec(h);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return '';
}

export function requireToken(tokens: Tokens) {
  return (req: Request, res: Response, next: NextFunction) => {
    const token = tokenFrom(req);
    const who = tokens.verify(token);
    if (!who) {
      res
        .status(401)
        .json({ error: token ? 'invalid token' : 'missing token: send "Authorization: Bearer TOKEN" (see `slipway login`)' });
      return;
    }
    res.locals.user = who;
    authenticated(res);
    next();
  };
}
