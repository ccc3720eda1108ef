// The logs API and `slipway logs` over HTTP: filters as query parameters, ?follow=1 as
// server-sent events (backlog then live lines, closed when the client goes), and the CLI's
// plain and --json output. Lines come from the pipeline's writer; Docker is not needed here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import express from 'express';
import { Command } from 'commander';
import { logsRouter } from '../../src/api/logs-routes.js';
import { errorHandler } from '../../src/api/http.js';
import { ApiClient } from '../../src/cli/client.js';
import { formatEntry, registerLogsCommand } from '../../src/cli/logs-command.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import type { LogEntry } from '../../src/logs/entry.js';
import type { LogSource } from '../../src/logs/ports.js';
import { LogService } from '../../src/logs/service.js';
import { ROOT } from '../helpers/server.js';

/** No containers: every line in these tests is written through the LogService. */
const noContainers: LogSource = {
  list: async () => [],
  inspect: async () => null,
  frames: async function* () {},
  starts: async function* (_label, signal) {
    await new Promise((r) => signal.addEventListener('abort', r));
  },
  volume: async () => null,
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-logs-api-'));
const logs = new LogService({ docker: {} as Docker, source: noContainers, config: loadConfig({}, { dataDir: dir }), logger: silentLogger() });
let server: http.Server;
let base: string;

before(async () => {
  await logs.start();
  const app = express();
  app.use('/api/apps/:app/logs', logsRouter(logs));
  app.use(errorHandler(silentLogger()));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const add = (service: string, stream: LogEntry['stream'], release: number, line: string, container = '') =>
    logs.append({ app: 'demo', service, stream, release, line, container });
  await add('web', 'stdout', 6, 'old release line', 'slipway-demo-web-blue-1');
  await add('web', 'stdout', 7, 'GET / 200', 'slipway-demo-web-green-1');
  await add('web', 'stderr', 7, 'upstream timeout', 'slipway-demo-web-green-1');
  await add('build', 'build', 7, 'Step 1/3');
  await logs.append({ app: 'other', service: 'web', stream: 'stdout', line: 'not demo' });
  await logs.flush();
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await logs.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (q: string) => {
  const res = await fetch(`${base}/api/apps/demo/logs${q}`);
  return { status: res.status, body: (await res.json()) as unknown };
};
const linesOf = (body: unknown) => (body as LogEntry[]).map((e) => e.line);

test('GET /api/apps/APP/logs answers the last lines of that app with every filter', async () => {
  assert.deepEqual(linesOf((await get('')).body), ['old release line', 'GET / 200', 'upstream timeout', 'Step 1/3']);
  assert.deepEqual(linesOf((await get('?service=build')).body), ['Step 1/3']);
  assert.deepEqual(linesOf((await get('?stream=stderr')).body), ['upstream timeout']);
  assert.deepEqual(linesOf((await get('?release=v6')).body), ['old release line']);
  assert.deepEqual(linesOf((await get('?release=7&service=web')).body), ['GET / 200', 'upstream timeout']);
  assert.deepEqual(linesOf((await get('?grep=TIMEOUT')).body), ['upstream timeout']);
  assert.deepEqual(linesOf((await get('?since=10m&n=1')).body), ['Step 1/3']);
  assert.deepEqual(linesOf((await get('?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z')).body), []);
});

test('bad filters are a 400 that says what is accepted', async () => {
  const r = await get('?since=yesterday');
  assert.equal(r.status, 400);
  assert.match((r.body as { error: string }).error, /10m, 2h/);
  assert.equal((await get('?release=latest')).status, 400);
});

test('?follow=1 streams the backlog then live lines as server-sent events, and stops when the client leaves', async () => {
  const ac = new AbortController();
  const res = await fetch(`${base}/api/apps/demo/logs?follow=1&n=1&service=web`, { signal: ac.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  const events: LogEntry[] = [];
  let buf = '';
  const readUntil = async (n: number) => {
    while (events.length < n) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buf += Buffer.from(value).toString('utf8');
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        if (block.startsWith('data: ')) events.push(JSON.parse(block.slice(6)) as LogEntry);
        else assert.match(block, /^: /, 'only comments besides data');
      }
    }
  };
  await readUntil(1);
  assert.equal(events[0]!.line, 'upstream timeout');
  await logs.append({ app: 'demo', service: 'build', stream: 'build', line: 'filtered out' });
  await logs.append({ app: 'demo', service: 'web', stream: 'stdout', line: 'live line', release: 8 });
  await readUntil(2);
  assert.deepEqual([events[1]!.line, events[1]!.release], ['live line', 8]);
  ac.abort();
});

test('slipway logs prints plain lines, stderr marked, and --json objects', async () => {
  const out: string[] = [];
  const log = console.log;
  console.log = (s: string) => out.push(s);
  try {
    const run = async (...args: string[]) => {
      const program = new Command().exitOverride();
      registerLogsCommand(program, () => new ApiClient({ url: base, token: 't' }));
      await program.parseAsync(['node', 'slipway', 'logs', 'demo', ...args]);
    };
    await run('--release', 'v7', '--service', 'web');
    assert.deepEqual(out.map((l) => l.replace(/^\S+ /, '')), ['web.green-1 | GET / 200', 'web.green-1 [stderr] | upstream timeout']);
    out.length = 0;
    await run('--grep', 'step', '--json');
    const obj = JSON.parse(out[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(obj), ['ts', 'service', 'container', 'stream', 'release', 'line']);
    assert.deepEqual([obj.service, obj.stream, obj.release, obj.line], ['build', 'build', 7, 'Step 1/3']);
  } finally {
    console.log = log;
  }
});

test('slipway logs -f, the real CLI process: the last lines, then live ones as they are stored, until interrupted', async () => {
  const backlog = logs.query({ app: 'demo', service: 'web', limit: 2 }).map((e) => formatEntry(e, false));
  const cli = spawn(path.join(ROOT, 'bin/slipway'), ['logs', 'demo', '-f', '-n', '2', '--service', 'web'], {
    env: { ...process.env, SLIPWAY_URL: base, SLIPWAY_TOKEN: 't', SLIPWAY_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => cli.on('exit', (code, signal) => r(code ?? (signal ? 128 : null))));
  const printed = async (what: RegExp) => {
    for (let i = 0; i < 600 && !what.test(out); i++) {
      if (cli.exitCode !== null) assert.fail(`slipway logs -f exited early (${cli.exitCode}): ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, what, err);
  };
  try {
    await printed(new RegExp(`${backlog.at(-1)!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    assert.deepEqual(out.trim().split('\n'), backlog);
    await logs.append({ app: 'demo', service: 'web', stream: 'stdout', line: 'live from the CLI test', container: 'slipway-demo-web-green-1' });
    await logs.append({ app: 'demo', service: 'worker', stream: 'stdout', line: 'another service' });
    await printed(/web\.green-1 \| live from the CLI test\n$/);
    assert.doesNotMatch(out, /another service/);
  } finally {
    process.kill(-cli.pid!, 'SIGINT');
  }
  assert.notEqual(await exited, null);
});
