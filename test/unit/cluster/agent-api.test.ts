// The agents' API: only a caller presenting the agents' secret gets in; what it posts is handed
// to the log stage (lines) and the metrics stage (samples) as is, and nothing is ingested for
// anyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentApp, listenAgentApi } from '../../../src/api/agent-routes.js';
import { agentSecretMatches, newAgentSecret, type ClusterSettings } from '../../../src/cluster/settings.js';
import { silentLogger } from '../../../src/log.js';
import type { LogService } from '../../../src/logs/service.js';
import type { MetricsSample } from '../../../src/cluster/agent/wire.js';

async function serve() {
  const { secret, hash } = newAgentSecret();
  const settings = { agentSecretHash: hash } as ClusterSettings;
  const ingested: string[] = [];
  const logs = { ingest: (run: string, items: unknown[]) => (ingested.push(run), items.length), checkpoints: () => ({ containers: [], files: [] }) } as unknown as LogService;
  const samples: MetricsSample[] = [];
  const api = await listenAgentApi(
    agentApp({ secretMatches: (p) => agentSecretMatches(settings, p), logs, metrics: (s) => void samples.push(...s), logger: silentLogger() }),
    '127.0.0.1',
    0,
  );
  const post = (path: string, body: unknown, auth?: string) =>
    fetch(`http://127.0.0.1:${api.port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });
  return { secret, ingested, samples, post, close: api.close };
}

test('the agents API refuses a caller without the agents\' secret and ingests nothing for it', async () => {
  const s = await serve();
  try {
    const batch = { run: 'run-00000001', items: [] };
    for (const auth of [undefined, 'Bearer wrong-secret', `Basic ${s.secret}`, `Bearer ${s.secret}x`]) {
      const res = await s.post('/agent/logs', batch, auth);
      assert.equal(res.status, 401, String(auth));
      assert.match(((await res.json()) as { error: string }).error, /not an agent of this Slipway/);
    }
    assert.equal((await s.post('/agent/checkpoints', { containers: [], volumes: [] }, 'Bearer nope')).status, 401);
    assert.deepEqual(s.ingested, []);

    const ok = await s.post('/agent/logs', batch, `Bearer ${s.secret}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { committed: 0 });
    assert.deepEqual(s.ingested, ['run-00000001']);
    assert.equal((await s.post('/agent/logs', { run: 'x', items: 'no' }, `Bearer ${s.secret}`)).status, 422, 'a malformed batch is refused');
  } finally {
    await s.close();
  }
});

test('the samples an agent posts reach the metrics stage as the store\'s rows; a stranger\'s or a malformed post stores nothing', async () => {
  const s = await serve();
  try {
    const row = {
      key: 'c'.repeat(64),
      labels: { app: 'demo', service: 'web', release: 3, color: 'blue', name: 'slipway_demo_web_blue.2.abc' },
      dur: 1000,
      cpuUs: 25_000,
      mem: 12 * 1024 * 1024,
      memLimit: null,
      ioRead: 0,
      ioWrite: 4096,
      netRx: 100,
      netTx: 200,
      restarts: 0,
    };
    const body = { samples: [{ ts: 1_700_000_000_000, rows: [row] }] };
    assert.equal((await s.post('/agent/metrics', body, 'Bearer nope')).status, 401);
    assert.equal((await s.post('/agent/metrics', { samples: [{ ts: 1, rows: [{ ...row, cpuUs: -1 }] }] }, `Bearer ${s.secret}`)).status, 422);
    assert.deepEqual(s.samples, []);
    const ok = await s.post('/agent/metrics', body, `Bearer ${s.secret}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(s.samples, body.samples);
  } finally {
    await s.close();
  }
});
