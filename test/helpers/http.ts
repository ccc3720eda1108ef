// HTTP(S) through HAProxy the way a browser would reach an app: Host header APP.DOMAIN, or
// HTTPS with SNI and a CA to trust.
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export function getViaProxy(port: number, host: string, p = '/', agent: http.Agent | false = false, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, headers: { host }, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export interface TrafficReport {
  total: number;
  /** Non-2xx answers and socket errors, with what each was. */
  failures: string[];
  /** Distinct bodies seen, in the order first seen. */
  bodies: string[];
}

/**
 * Keeps `concurrency` keep-alive clients requesting through the proxy while `work` runs, as a
 * user's traffic would during a deploy; resolves when `work` has settled and every request ended.
 */
export async function trafficDuring<T>(port: number, host: string, work: () => Promise<T>, concurrency = 4): Promise<{ result: T; traffic: TrafficReport }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  return loadDuring(() => getViaProxy(port, host, '/', agent), agent, work, concurrency);
}

/** trafficDuring over HTTPS to `host` (SNI), trusting `ca`: `concurrency` clients on keep-alive
 *  connections plus `fresh` clients opening a new connection (a new handshake) per request, so a
 *  moment without the right certificate would fail one. */
export async function httpsTrafficDuring<T>(port: number, host: string, ca: string, work: () => Promise<T>, concurrency = 4, fresh = 2): Promise<{ result: T; traffic: TrafficReport }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const request = (client: number) => getViaHttps(port, host, { ca, agent: client < fresh ? false : agent });
  return loadDuring(request, agent, work, concurrency + fresh);
}

export interface HttpsAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** SHA-1 of the certificate the server presented (HAProxy's notation: hex, no colons). */
  fingerprint: string;
  issuer: string;
  /** DNS names of the presented certificate. */
  names: string[];
}

/** GET https://HOST:PORT/PATH at 127.0.0.1 with SNI HOST, trusting only `ca`. */
export function getViaHttps(port: number, host: string, opts: { ca: string; path?: string; agent?: https.Agent | false; timeoutMs?: number }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', servername: host, port, path: opts.path ?? '/', headers: { host }, ca: opts.ca, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            headers: res.headers,
            fingerprint: cert.fingerprint?.replace(/:/g, '') ?? '',
            issuer: String(cert.issuer?.CN ?? ''),
            names: (cert.subjectaltname ?? '').split(', ').filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function loadDuring<T>(
  /** One request of client number `client`. */
  request: (client: number) => Promise<{ status: number; body: string }>,
  agent: http.Agent,
  work: () => Promise<T>,
  concurrency: number,
): Promise<{ result: T; traffic: TrafficReport }> {
  const traffic: TrafficReport = { total: 0, failures: [], bodies: [] };
  let done = false;
  const once = (client: number) =>
    request(client).then(
      ({ status, body }) => {
        traffic.total++;
        if (status >= 300) traffic.failures.push(`HTTP ${status}: ${body.slice(0, 200)}`);
        else if (!traffic.bodies.includes(body)) traffic.bodies.push(body);
      },
      (e: Error) => {
        traffic.total++;
        traffic.failures.push(`socket: ${e.message}`);
      },
    );
  const client = async (_: unknown, i: number) => {
    while (!done) await once(i);
  };
  const clients = Array.from({ length: concurrency }, client);
  try {
    return { result: await work(), traffic };
  } finally {
    done = true;
    await Promise.all(clients);
    agent.destroy();
  }
}
