// Serves the dashboard (ui/, built by Vite into ui/dist): hashed assets under /assets with a
// year-long immutable cache, and index.html — never cached, with a strict Content-Security-Policy
// — for every other page path, so a shared link such as /apps/demo/logs?grep=x opens that view.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response } from 'express';

/** Paths that belong to the API and other front doors: never answered with the page. */
const NOT_PAGES = /^\/(api|git|webhooks|metrics|healthz)(\/|$)/;

/** Scripts, styles and connections only from this server; no framing, no inline script. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function dashboardRouter(dir: string): express.Router {
  const r = express.Router();
  const index = path.join(dir, 'index.html');
  r.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false, redirect: false }),
  );
  r.get('/favicon.svg', (_req, res, next) => (existsSync(path.join(dir, 'favicon.svg')) ? res.sendFile(path.join(dir, 'favicon.svg'), { maxAge: '1d' }) : next()));
  r.get(/.*/, (req: Request, res: Response, next) => {
    if (NOT_PAGES.test(req.path) || !req.accepts('html')) return next();
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(`The dashboard is not built (no ${index}): run \`npm run up\`, or \`npx vite build ui\` in Slipway's directory.\n`);
      return;
    }
    // Read on each request (it is small): a rebuilt dashboard is served without a restart.
    res.type('html').send(readFileSync(index));
  });
  return r;
}
