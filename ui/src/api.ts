// The dashboard's only way to the server: Slipway's public /api, with the session cookie the
// browser holds (httpOnly: this code never sees it). JSON in and out; an error carries the API's
// own message; a 401 means the session ended, and the app shows the sign-in page.

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => undefined;
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/${path.replace(/^\//, '')}`, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (e) {
    throw new ApiError(`cannot reach Slipway: ${(e as Error).message}`, 0);
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('session')) onSignedOut();
    const message = (data as { error?: string } | null)?.error ?? (typeof data === 'string' && data ? data : res.statusText);
    throw new ApiError(message, res.status);
  }
  return data as T;
}

export const appPath = (app: string, rest = '') => `apps/${encodeURIComponent(app)}${rest ? `/${rest}` : ''}`;

/** Server-sent events from the API (cookie auth); EventSource reconnects by itself. */
export function events(path: string): EventSource {
  return new EventSource(`/api/${path.replace(/^\//, '')}`, { withCredentials: true });
}
