// HTTP through HAProxy the way a browser would reach an app: Host header APP.DOMAIN.
import http from 'node:http';

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
  const traffic: TrafficReport = { total: 0, failures: [], bodies: [] };
  let done = false;
  const once = () =>
    getViaProxy(port, host, '/', agent).then(
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
  const client = async () => {
    while (!done) await once();
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
