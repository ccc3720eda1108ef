// Webhook intake benchmark: N signed GitHub push deliveries over loopback into the real webhook
// router on a real express server, each verified, parsed, deduped and added to a real BullMQ
// queue on Redis. Prints verified-and-queued deliveries/s and latency percentiles, next to the
// same run with an in-memory enqueue (the router's own cost, without Redis).
// Run: npx tsx bench/webhook-intake.ts [N=3000] [CONCURRENCY=16]   (needs Redis on 127.0.0.1:6379)
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { webhookRouter, type WebhookApp } from '../src/api/webhook-routes.js';
import { silentLogger } from '../src/log.js';
import { signGithub, type PushEvent } from '../src/source/webhooks.js';

const N = Number(process.argv[2] ?? 3000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const WARMUP = 1000;
const REDIS = process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-secret-0123456789';
const FIXTURE = readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/webhooks/github/push-with-new-branch.payload.json'), 'utf8');
const APP: WebhookApp = { id: 1, name: 'bench', webhookSecret: SECRET, repoBranch: 'master' };

type Enqueue = (push: PushEvent, deliveryId: string) => Promise<number>;

async function serve(enqueue: Enqueue) {
  const seen = new Set<string>();
  const app = express();
  app.use(
    '/webhooks',
    webhookRouter({
      findApp: (name) => (name === APP.name ? APP : undefined),
      seenDelivery: (_app, id) => seen.has(id),
      enqueue: async (_app, push, deliveryId) => {
        seen.add(deliveryId);
        return { deploymentId: await enqueue(push, deliveryId) };
      },
      logger: silentLogger(),
    }),
  );
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** One delivery per commit: its own sha, body bytes, signature and delivery id. */
function delivery(i: number, run: string) {
  const sha = (i.toString(16).padStart(8, '0') + '6113728f27ae82c7b1a177c8d03f9e96').slice(0, 40);
  const body = Buffer.from(FIXTURE.replace(/6113728f27ae82c7b1a177c8d03f9e96e0adf246/g, sha));
  const headers = {
    'content-type': 'application/json',
    'content-length': String(body.length),
    'x-github-event': 'push',
    'x-github-delivery': `${run}-${i}`,
    'x-hub-signature-256': signGithub(body, SECRET),
  };
  return { body, headers };
}

function send(port: number, agent: http.Agent, d: ReturnType<typeof delivery>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/webhooks/github/${APP.name}`, method: 'POST', headers: d.headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(d.body);
  });
}

async function measure(label: string, enqueue: Enqueue) {
  const { server, port } = await serve(enqueue);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const run = `${label}-${process.pid}-${Date.now()}`;
  const deliveries = Array.from({ length: N + WARMUP }, (_, i) => delivery(i, run));
  // Warm-up (JIT, connections, Redis scripts), not counted.
  const warm = deliveries.slice(N);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let d = warm.pop(); d; d = warm.pop()) await send(port, agent, d);
    }),
  );
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const d = deliveries[next++]!;
        const start = performance.now();
        const status = await send(port, agent, d);
        latencies.push(performance.now() - start);
        if (status !== 202) failures++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2);
  console.log(
    `${label.padEnd(8)} ${String(N).padStart(6)} deliveries  ${(N / seconds).toFixed(0).padStart(6)}/s  ` +
      `p50 ${pct(50)} ms  p99 ${pct(99)} ms  max ${latencies.at(-1)!.toFixed(2)} ms  non-202: ${failures}`,
  );
  if (failures) process.exitCode = 1;
}

async function main() {
  console.log(`webhook intake: ${N} signed GitHub push deliveries, ${CONCURRENCY} concurrent, loopback, ${FIXTURE.length} B each`);
  let memoryId = 0;
  await measure('memory', async () => ++memoryId);

  const prefix = `bench-webhook-${process.pid}-${Date.now()}`;
  const connection = new Redis(REDIS, { maxRetriesPerRequest: null });
  const queue = new Queue('deploys', { connection, prefix });
  try {
    let id = 0;
    await measure('bullmq', async (push, deliveryId) => {
      // jobId = delivery id: BullMQ itself refuses a second job for the same delivery.
      await queue.add('deploy', { sha: push.sha, branch: push.branch }, { jobId: deliveryId, removeOnComplete: true });
      return ++id;
    });
    const waiting = await queue.getWaitingCount();
    console.log(`bullmq queue holds ${waiting} jobs (expected ${N + WARMUP} incl. warm-up); removing them`);
    if (waiting !== N + WARMUP) process.exitCode = 1;
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
