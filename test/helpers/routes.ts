// Every route an express app answers, read from its router stack (express 5 / router 2 keep each
// layer's mount path in `rawPath`), so a test can cover routes added after it was written.
import type express from 'express';

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

export interface RouteInfo {
  method: string;
  path: string;
}

export function listRoutes(app: express.Express): RouteInfo[] {
  const root = (app as unknown as { router: { stack: Layer[] } }).router;
  const out: RouteInfo[] = [];
  walk(root.stack, '', out);
  return out;
}

function walk(stack: Layer[], prefix: string, out: RouteInfo[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all'))
        out.push({ method: method.toUpperCase(), path: join(prefix, layer.route.path) });
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '/';
      walk(layer.handle.stack, join(prefix, mount), out);
    }
  }
}

const join = (a: string, b: string) => (a + (b === '/' ? '' : b)).replace(/\/+/g, '/') || '/';

/** `/api/apps/:app/deploys/:id/output` with every parameter filled in. */
export function fillParams(p: string, values: Record<string, string>): string {
  return p.replace(/:(\w+)/g, (_, k: string) => values[k] ?? 'x');
}
