// Bounded loopback load through HAProxy for the autoscaling tests and bench: `concurrency`
// keep-alive clients request in a loop until stopped or until `maxMs` passed, whichever is first.
import http from 'node:http';
import { getViaProxy, type TrafficReport } from './http.js';

export interface Load {
  /** Stops the clients and resolves when every request has ended. */
  stop(): Promise<TrafficReport>;
  readonly traffic: TrafficReport;
  /** When a request first reached a replica with this body prefix (ms since the epoch). */
  firstSeen: Map<string, number>;
}

export function startLoad(port: number, host: string, concurrency: number, maxMs: number, path = '/'): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const traffic: TrafficReport = { total: 0, failures: [], bodies: [] };
  const firstSeen = new Map<string, number>();
  const until = Date.now() + maxMs;
  let stopped = false;
  const client = async () => {
    while (!stopped && Date.now() < until) {
      try {
        const { status, body } = await getViaProxy(port, host, path, agent, 30_000);
        traffic.total++;
        if (status >= 300) traffic.failures.push(`HTTP ${status}: ${body.slice(0, 200)}`);
        const who = body.trim();
        if (!firstSeen.has(who)) firstSeen.set(who, Date.now());
      } catch (e) {
        traffic.total++;
        traffic.failures.push(`socket: ${(e as Error).message}`);
      }
    }
  };
  const clients = Promise.all(Array.from({ length: concurrency }, client));
  return {
    traffic,
    firstSeen,
    async stop() {
      stopped = true;
      await clients;
      agent.destroy();
      return traffic;
    },
  };
}
