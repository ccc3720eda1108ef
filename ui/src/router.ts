// The dashboard's pages by URL (history API, no server round trip): the path picks the page, the
// query string holds a page's filters so a view can be shared.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'apps' }
  | { page: 'app'; app: string }
  | { page: 'deploys'; app: string; id: number | null }
  | { page: 'logs'; app: string }
  | { page: 'metrics'; app: string }
  | { page: 'jobs'; app: string }
  | { page: 'missing'; path: string };

export function routeOf(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'apps' };
  if (parts[0] !== 'apps' || !parts[1]) return { page: 'missing', path: pathname };
  const app = parts[1];
  const sub = parts[2];
  if (!sub) return { page: 'app', app };
  if (sub === 'deploys') return { page: 'deploys', app, id: parts[3] ? Number(parts[3]) : null };
  if (sub === 'logs' || sub === 'metrics' || sub === 'jobs') return { page: sub, app };
  return { page: 'missing', path: pathname };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** Goes to `href` (same origin) without reloading; `replace` keeps history as it is (filters). */
export function navigate(href: string, replace = false): void {
  if (href === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', href);
  listeners.forEach((l) => l());
}

/** The current location, re-rendering on navigation. */
export function useLocation(): { pathname: string; search: string } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return { pathname: location.pathname, search: location.search };
}

/** A click on an in-app link navigates without reloading (modifier keys keep browser behaviour). */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as HTMLElement).closest('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target || a.origin !== location.origin || a.hasAttribute('download') || a.dataset.external !== undefined) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
}

export const appHref = (app: string, sub = '') => `/apps/${encodeURIComponent(app)}${sub ? `/${sub}` : ''}`;
