// Webhook intake benchmark: N signed GitHub push deliveries over loopback into the real webhook
// router on a real express server. `slipway` is Slipway's own path: verify the signature, parse,
// dedupe, a `webhook` deployment row and its delivery record in the state DB (SQLite, a temp
// file), and a job on the deploy queue (BullMQ on Redis) — src/queue/webhook-intake.ts, as the
// server wires it. `memory` is the same router with an in-memory enqueue: the router's own cost.
// Prints deliveries/s and latency percentiles for both; exits 1 if a delivery was not answered
// 202 or did not become exactly one row and one job.
// Run: npx tsx bench/webhook-intake.ts [N=3000] [CONCURRENCY=16]   (needs Redis on 127.0.0.1:6379)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { webhookRouter, type WebhookApp } from '../src/api/webhook-routes.js';
import { silentLogger } from '../src/log.js';
import { DeployQueue } from '../src/queue/deploy-queue.js';
import { DeployProgress } from '../src/queue/progress.js';
import { webhookIntake, type WebhookIntake } from '../src/queue/webhook-intake.js';
import { signGithub } from '../src/source/webhooks.js';
import { openState } from '../src/state/index.js';
import { stateSealer } from '../src/source/secrets.js';
import { randomBytes } from 'node:crypto';
import { requireAll } from './lib/needs.js';
import { redisUrlFrom } from '../src/config.js';

const N = Number(process.argv[2] ?? 3000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const WARMUP = 1000;
const REDIS = redisUrlFrom();
const SECRET = 'bench-secret-0123456789';
const FIXTURE = readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/webhooks/github/push-with-new-branch.payload.json'), 'utf8');
let APP: WebhookApp = { id: 1, name: 'bench', webhookSecret: SECRET, repoBranch: 'master' };

/** The in-memory stand-in: dedupe in a Set, ids from a counter. */
function inMemory(): WebhookIntake {
  const seen = new Set<string>();
  let id = 0;
  return {
    seenDelivery: (_app, d) => seen.has(d),
    enqueue: async (_app, _push, deliveryId) => {
      seen.add(deliveryId);
      return { deploymentId: ++id };
    },
  };
}

async function serve(intake: WebhookIntake) {
  const app = express();
  app.use('/webhooks', webhookRouter({ findApp: (name) => (name === APP.name ? APP : undefined), ...intake, logger: silentLogger() }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** One delivery per commit: its own sha, body bytes, signature and delivery id. */
function delivery(i: number, run: string, secret: string) {
  const sha = (i.toString(16).padStart(8, '0') + '6113728f27ae82c7b1a177c8d03f9e96').slice(0, 40);
  const body = Buffer.from(FIXTURE.replace(/6113728f27ae82c7b1a177c8d03f9e96e0adf246/g, sha));
  const headers = {
    'content-type': 'application/json',
    'content-length': String(body.length),
    'x-github-event': 'push',
    'x-github-delivery': `${run}-${i}`,
    'x-hub-signature-256': signGithub(body, secret),
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

async function measure(label: string, intake: WebhookIntake) {
  const { server, port } = await serve(intake);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const run = `${label}-${process.pid}-${Date.now()}`;
  const deliveries = Array.from({ length: N + WARMUP }, (_, i) => delivery(i, run, APP.webhookSecret));
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
  await requireAll('webhook-intake', [{ service: 'redis' }]);
  console.log(`webhook intake: ${N} signed GitHub push deliveries, ${CONCURRENCY} concurrent, loopback, ${FIXTURE.length} B each`);
  await measure('memory', inMemory());

  // Slipway's own path: a real state DB and deploy queue (no worker: nothing deploys).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-webhook-'));
  const prefix = `bench-webhook-${process.pid}-${Date.now()}`;
  const state = openState(path.join(dir, 'state.db'), stateSealer(randomBytes(32)));
  const progress = new DeployProgress(path.join(dir, 'deploys'));
  const queue = new DeployQueue({ redisUrl: REDIS, prefix, deployments: state.deployments, progress, run: async () => ({}), logger: silentLogger() });
  const connection = new Redis(REDIS, { maxRetriesPerRequest: null });
  const jobs = new Queue('deploys', { connection, prefix });
  try {
    const row = state.apps.create('bench');
    state.apps.update('bench', { repoBranch: 'master' });
    APP = state.apps.get('bench');
    await measure('slipway', webhookIntake(state, (d) => queue.enqueue(d)));
    const rows = state.deployments.all(row.id).length;
    const waiting = await jobs.getWaitingCount();
    console.log(`state DB holds ${rows} webhook deployments, the deploy queue ${waiting} jobs (expected ${N + WARMUP} each, warm-up included)`);
    if (rows !== N + WARMUP || waiting !== N + WARMUP) process.exitCode = 1;
  } finally {
    await jobs.obliterate({ force: true }).catch(() => undefined);
    await jobs.close();
    connection.disconnect();
    await queue.close();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
