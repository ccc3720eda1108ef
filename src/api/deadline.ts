// A deadline for requests nobody has vouched for yet. Pushes and uploads may stream for as long
// as they need (the server has no request timeout), but only once their token is checked: until
// then a request — a webhook, a git request before auth, any /api call before its token — has
// SLIPWAY_UNAUTHENTICATED_TIMEOUT seconds to send its headers and body, so a client trickling
// bytes can't hold a socket (and a body buffer) open forever.
import type { RequestHandler, Response } from 'express';

const CLEAR = Symbol('slipway.deadline');

/** The request proved who sent it: it may take as long as it needs from now on. */
export function authenticated(res: Response): void {
  (res.locals[CLEAR as unknown as string] as (() => void) | undefined)?.();
}

export function unauthenticatedDeadline(seconds: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      // Everything arrived; answering may take longer (a webhook waiting on the queue).
      if (req.complete) return;
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
        res.status(408).json({ error: `request not received within ${seconds}s (unauthenticated requests must send their body at once)` });
      }
      // Half-close first so the answer is read rather than reset, then drop the trickle.
      const socket = req.socket;
      if (!socket) return;
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    }, seconds * 1000);
    const clear = () => clearTimeout(timer);
    res.locals[CLEAR as unknown as string] = clear;
    req.once('end', clear);
    // An answer sent before the body was read (a 401, a 404) leaves the deadline running on the
    // rest of it ('close' follows every response, so it clears only once the body is in or gone).
    res.once('close', () => (req.complete || !req.socket || req.socket.destroyed) && clear());
    next();
  };
}
