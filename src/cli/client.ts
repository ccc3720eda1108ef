// The CLI's HTTP client for Slipway's API: bearer token, JSON errors turned into messages,
// and line/SSE streams for live output.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

export interface Credentials {
  url: string;
  token: string;
}

const credentialsFile = () =>
  path.join(process.env.SLIPWAY_CLI_HOME || path.join(os.homedir(), '.config', 'slipway'), 'credentials.json');

/** SLIPWAY_URL/SLIPWAY_TOKEN win over the file `slipway login` writes. */
export function loadCredentials(): Credentials {
  let saved: Partial<Credentials> = {};
  try {
    saved = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Partial<Credentials>;
  } catch {
    /* not logged in yet */
  }
  const url = process.env.SLIPWAY_URL || saved.url || 'http://127.0.0.1:7100';
  let token = process.env.SLIPWAY_TOKEN || saved.token || '';
  if (!token) {
    // On the server's own machine, the admin token file is the natural default.
    try {
      token = readFileSync(path.join(process.env.SLIPWAY_DATA || '/var/lib/slipway', 'admin-token'), 'utf8').trim();
    } catch {
      /* no local server */
    }
  }
  return { url: url.replace(/\/+$/, ''), token };
}

export function saveCredentials(c: Credentials): string {
  const file = credentialsFile();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  return file;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(private readonly creds: Credentials) {}

  get url(): string {
    return this.creds.url;
  }

  async request<T = unknown>(method: string, p: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, p, body);
    const text = await res.text();
    const data = text ? (JSON.parse(text) as unknown) : null;
    return data as T;
  }

  get<T = unknown>(p: string): Promise<T> {
    return this.request<T>('GET', p);
  }

  post<T = unknown>(p: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', p, body ?? {});
  }

  put<T = unknown>(p: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', p, body ?? {});
  }

  delete<T = unknown>(p: string): Promise<T> {
    return this.request<T>('DELETE', p);
  }

  /** Sends a request and yields the response body line by line as it arrives. */
  async *lines(method: string, p: string, body?: unknown | NodeJS.ReadableStream, contentType?: string): AsyncGenerator<string> {
    const res = await this.fetch(method, p, body, contentType);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        yield buf.slice(0, nl);
        buf = buf.slice(nl + 1);
      }
    }
    if (buf) yield buf;
  }

  /** Server-sent events: yields each event's `data` payload. */
  async *events(p: string): AsyncGenerator<string> {
    let data: string[] = [];
    for await (const line of this.lines('GET', p)) {
      if (line === '') {
        if (data.length) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }

  private async fetch(method: string, p: string, body?: unknown, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.creds.token}` };
    let payload: BodyInit | undefined;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (body !== undefined && isStream(body)) {
      headers['content-type'] = contentType ?? 'application/octet-stream';
      payload = (typeof (body as { pipe?: unknown }).pipe === 'function'
        ? Readable.toWeb(body as Readable)
        : body) as unknown as BodyInit;
      init.duplex = 'half';
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    init.body = payload;
    let res: Response;
    try {
      res = await fetch(this.creds.url + p, init);
    } catch (e) {
      throw new ApiError(`cannot reach Slipway at ${this.creds.url}: ${(e as Error).message}`, 0);
    }
    if (!res.ok) {
      const text = await res.text();
      let message = text || res.statusText;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        /* not JSON */
      }
      throw new ApiError(message, res.status);
    }
    return res;
  }
}

function isStream(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (typeof (x as { pipe?: unknown }).pipe === 'function' || Symbol.asyncIterator in x);
}
