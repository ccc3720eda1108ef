// A real express server on port 0 with only the webhook router, its deps stubbed in memory
// (an enqueue that counts calls, a Set of seen deliveries), and a raw HTTP client for it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { webhookRouter, type WebhookApp } from '../../../src/api/webhook-routes.js';
import { silentLogger } from '../../../src/log.js';
import type { PushEvent } from '../../../src/source/webhooks.js';

export const SECRET = 'fuzz-secret-0123456789abcdef';

export interface Harness {
  port: number;
  enqueued: { app: string; push: PushEvent; deliveryId: string }[];
  seen: Set<string>;
  /** Replace to make the next enqueues fail or stall. */
  enqueueImpl: (push: PushEvent, deliveryId: string) => Promise<{ deploymentId: number }>;
  close(): Promise<void>;
}

export async function startHarness(apps: WebhookApp[] = [{ id: 1, name: 'demo', webhookSecret: SECRET, repoBranch: 'master' }]): Promise<Harness> {
  let next = 1;
  const h: Harness = {
    port: 0,
    enqueued: [],
    seen: new Set(),
    enqueueImpl: async () => ({ deploymentId: next++ }),
    close: async () => undefined,
  };
  const app = express();
  app.use(
    '/webhooks',
    webhookRouter({
      findApp: (name) => apps.find((a) => a.name === name),
      seenDelivery: (_app, id) => h.seen.has(id),
      enqueue: async (a, push, deliveryId) => {
        const r = await h.enqueueImpl(push, deliveryId);
        h.seen.add(deliveryId);
        h.enqueued.push({ app: a.name, push, deliveryId });
        return r;
      },
      logger: silentLogger(),
    }),
  );
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  h.port = (server.address() as AddressInfo).port;
  h.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return h;
}

export interface Reply {
  status: number;
  json: Record<string, unknown>;
  contentType: string;
}

/**
 * POSTs raw bytes with exactly the given headers. A large body is streamed and the reply read
 * as soon as it comes: the server answers 413 before reading it all, then closes the socket.
 */
export function post(port: number, path: string, headers: Record<string, string>, body: Buffer | { repeat: number; chunk: Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        settled = true;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { notJson: text };
        }
        resolve({ status: res.statusCode ?? 0, json, contentType: String(res.headers['content-type'] ?? '') });
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    // After the reply arrived, a reset while still writing a refused huge body is expected.
    req.on('error', (e) => {
      if (!settled) setTimeout(() => (settled ? undefined : reject(e)), 1000);
    });
    if (Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    let i = 0;
    const write = () => {
      while (i < body.repeat) {
        i++;
        if (!req.write(body.chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}
