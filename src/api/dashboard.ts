// Serves the dashboard (ui/, built by Vite into ui/dist): hashed assets under /assets with a
// year-long immutable cache (gzipped once, in memory, for clients that take gzip), and index.html
// — never cached, with a strict Content-Security-Policy — for every other page path, so a shared
// link such as /apps/demo/logs?grep=x opens that view.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Paths that belong to the API and other front doors: never answered with the page. */
const NOT_PAGES = /^\/(api|git|webhooks|metrics|healthz)(\/|$)/;

/** Scripts, styles and connections only from this server; no framing, no inline script. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const COMPRESSIBLE = /\.(js|css|svg|json|map)$/;

/** Hashed file names never change content: each is compressed once (a build is ~100 KB of text). */
function gzipped(assets: string) {
  const cache = new Map<string, { mtime: number; body: Buffer }>();
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !COMPRESSIBLE.test(req.path) || !req.acceptsEncodings('gzip')) return next();
    const file = path.join(assets, path.normalize(req.path));
    if (!file.startsWith(assets + path.sep)) return next();
    let st;
    try {
      st = statSync(file);
    } catch {
      return next();
    }
    let hit = cache.get(file);
    if (!hit || hit.mtime !== st.mtimeMs) cache.set(file, (hit = { mtime: st.mtimeMs, body: gzipSync(readFileSync(file), { level: 9 }) }));
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(path.extname(file));
    res.send(hit.body);
  };
}

export function dashboardRouter(dir: string): express.Router {
  const r = express.Router();
  const index = path.join(dir, 'index.html');
  r.use('/assets', gzipped(path.join(dir, 'assets')));
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
