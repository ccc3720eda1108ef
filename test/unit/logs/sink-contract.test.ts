// One contract, every sink: what is pushed can be read back whole, in order, with its labels.
// Loki is an outside system we do not run here: its side is a tiny fake push endpoint that
// stores what it receives (the real API's request shape: streams of [ns, line] values).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogEntry, LogSink } from '../../../src/logs/entry.js';
import { LokiSink, lokiTimestamp } from '../../../src/logs/loki.js';
import { LogStore, SqliteSink } from '../../../src/logs/store.js';

type Seen = Omit<LogEntry, 'container'>;
interface Harness {
  sink: LogSink;
  readBack(app: string): Promise<Seen[]>;
  close(): Promise<void>;
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function sqliteHarness(): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-sink-'));
  dirs.push(dir);
  const store = new LogStore(path.join(dir, 'logs.db'));
  const sink = new SqliteSink(store);
  return {
    sink,
    readBack: async (app) => store.query({ app, limit: 10_000 }).map(({ ts, app: a, service, stream, release, line }) => ({ ts, app: a, service, stream, release, line })),
    close: () => sink.close(),
  };
}

async function fakeLokiHarness(): Promise<Harness> {
  const pushes: { streams: { stream: Record<string, string>; values: [string, string][] }[] }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/loki/api/v1/push' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(400).end('bad request');
        return;
      }
      pushes.push(JSON.parse(body) as (typeof pushes)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const fromNs = (ns: string) => new Date(Number(ns.slice(0, -9)) * 1000).toISOString().slice(0, 19) + '.' + ns.slice(-9) + 'Z';
  return {
    sink: new LokiSink(`http://127.0.0.1:${port}/`),
    readBack: async (app) => {
      const out: (Seen & { order: number })[] = [];
      let order = 0;
      for (const p of pushes) {
        for (const s of p.streams) {
          for (const [ns, line] of s.values) {
            if (s.stream.app !== app) continue;
            out.push({ ts: fromNs(ns), app, service: s.stream.service!, stream: s.stream.stream as LogEntry['stream'], release: s.stream.release ? Number(s.stream.release) : null, line, order: order++ });
          }
        }
      }
      // Loki orders by time; ties keep push order.
      return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.order - b.order)).map(({ order: _, ...e }) => e);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const e = (i: number, over: Partial<LogEntry> = {}): LogEntry => ({
  ts: `2024-05-01T10:00:${String(i).padStart(2, '0')}.123456789Z`,
  app: 'demo',
  service: 'web',
  container: 'slipway-demo-web-blue-1',
  stream: 'stdout',
  release: 7,
  line: `line ${i}`,
  ...over,
});
const seen = ({ container: _, ...rest }: LogEntry): Seen => rest;

for (const [name, make] of [['sqlite', sqliteHarness], ['loki (fake push endpoint)', fakeLokiHarness]] as const) {
  describe(`log sink contract: ${name}`, () => {
    test('pushed lines read back in time order with app, service, stream, release and nanosecond time', async () => {
      const h = await make();
      const batch = [e(1), e(2, { stream: 'stderr', line: 'on stderr' }), e(3, { service: 'worker', release: 8 }), e(4, { stream: 'file:/var/log/app/app.log' })];
      await h.sink.push(batch);
      await h.sink.push([e(5, { service: 'build', stream: 'build', release: null, container: '' })]);
      assert.deepEqual(await h.readBack('demo'), [...batch, e(5, { service: 'build', stream: 'build', release: null })].map(seen));
      await h.close();
    });

    test('apps do not see each other’s lines', async () => {
      const h = await make();
      await h.sink.push([e(1), e(2, { app: 'other' })]);
      assert.deepEqual((await h.readBack('other')).map((x) => x.line), ['line 2']);
      await h.close();
    });

    test('lines are kept byte for byte: long, unicode, replacement characters, quotes and tabs', async () => {
      const h = await make();
      const lines = ['x'.repeat(100_000), 'naïve 日本語 🚀', 'bad \uFFFD bytes', 'say "hi"\tand\\more', ''];
      await h.sink.push(lines.map((line, i) => e(i, { line })));
      assert.deepEqual((await h.readBack('demo')).map((x) => x.line), lines);
      await h.close();
    });

    test('an empty push is a no-op', async () => {
      const h = await make();
      await h.sink.push([]);
      assert.deepEqual(await h.readBack('demo'), []);
      await h.close();
    });
  });
}

test('Loki timestamps are nanoseconds since the epoch as a string', () => {
  assert.equal(lokiTimestamp('2024-05-01T10:00:00.123456789Z'), '1714557600123456789');
  assert.equal(lokiTimestamp('1970-01-01T00:00:01.000000000Z'), '1000000000');
});

test('a Loki that answers 5xx is a transient failure, a 400 is not', async () => {
  let status = 503;
  const server = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(status).end('nope')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sink = new LokiSink(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await assert.rejects(sink.push([e(1)]), { name: 'TransientError' });
  status = 400;
  await assert.rejects(sink.push([e(1)]), (err: Error) => err.name === 'Error' && /400/.test(err.message));
  await new Promise((r) => server.close(r));
});
