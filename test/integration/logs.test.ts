// Logs as a user relies on them, against the real Docker Engine: every line a container writes
// (stdout, stderr, declared log files) reaches the store once, filters find it, follow sees new
// lines and the next color's, and nothing is lost across rotation or a Slipway restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { loadConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import type { LogEntry, LogFilters } from '../../src/logs/entry.js';
import { LABELS } from '../../src/domain.js';
import { logFileMounts } from '../../src/logs/file-mounts.js';
import { LogService } from '../../src/logs/service.js';
import { uniqueName } from '../helpers/server.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'debian:bookworm-slim';
const dirs: string[] = [];
const apps: string[] = [];
const services: LogService[] = [];

function testConfig(): Config {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-logs-'));
  dirs.push(dataDir);
  return loadConfig({}, { dataDir });
}

/** The releases these tests "stored": app/release → services with their declared log files. */
const releases = new Map<string, { name: string; logFiles: string[] }[]>();
const servicesOf = (app: string, release: number) => releases.get(`${app}/${release}`) ?? null;

async function startLogs(config = testConfig()): Promise<LogService> {
  const logs = new LogService({ docker, config, logger: silentLogger(), filePollMs: 100, servicesOf });
  await logs.start();
  services.push(logs);
  return logs;
}

function newApp(prefix: string): string {
  const app = uniqueName(`lg-${prefix}`);
  apps.push(app);
  return app;
}

interface Run {
  app: string;
  service: string;
  release: number;
  color?: string;
  script: string;
  logFiles?: string[];
}

async function run(r: Run): Promise<Docker.Container> {
  const name = uniqueName(`${r.app}-${r.service}`);
  const mounts = logFileMounts(name, r.logFiles ?? []);
  const labels: Record<string, string> = {
    [LABELS.app]: r.app,
    [LABELS.service]: r.service,
    [LABELS.release]: String(r.release),
    [LABELS.kind]: 'web',
  };
  if (r.color) labels[LABELS.color] = r.color;
  const stored = releases.get(`${r.app}/${r.release}`) ?? [];
  releases.set(`${r.app}/${r.release}`, [...stored.filter((s) => s.name !== r.service), { name: r.service, logFiles: r.logFiles ?? [] }]);
  for (const m of mounts) await docker.createVolume({ Name: m.volume, Labels: { [LABELS.app]: r.app } });
  const c = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: ['bash', '-c', r.script],
    Labels: labels,
    HostConfig: {
      LogConfig: { Type: 'json-file', Config: {} },
      Mounts: mounts.map((m) => ({ Type: 'volume' as const, Source: m.volume, Target: m.target, ReadOnly: false })),
    },
  });
  await c.start();
  return c;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const lines = (logs: LogService, f: LogFilters) => logs.query({ limit: 10_000, ...f }).map((e) => e.line);

before(async () => {
  await docker.getImage(IMAGE).inspect(); // present via the local mirror
});

after(async () => {
  for (const s of services) await s.stop().catch(() => undefined);
  for (const app of apps) {
    const cs = await docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${app}`] } });
    for (const c of cs) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABELS.app}=${app}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('stdout, stderr and a declared log file are shipped, and logs filters by service, stream, release, time and text', async () => {
  const logs = await startLogs();
  const app = newApp('all');
  const t0 = new Date();
  await run({
    app,
    service: 'web',
    release: 7,
    logFiles: ['/var/log/app/*.log'],
    script: 'mkdir -p /var/log/app; echo "hello from stdout"; echo "a timeout on stderr" >&2; echo "written to a file" >> /var/log/app/app.log; sleep 1',
  });
  await run({ app, service: 'worker', release: 8, script: 'echo "worker says timeout too"' });
  await waitFor('all lines', () => logs.query({ app, limit: 100 }).length >= 4);
  await logs.flush();
  const all = logs.query({ app, limit: 100 });
  assert.equal(all.length, 4, JSON.stringify(all));
  const web = all.filter((e) => e.service === 'web');
  assert.deepEqual(
    web.map((e) => [e.stream, e.line, e.release]).sort(),
    [
      ['file:/var/log/app/app.log', 'written to a file', 7],
      ['stderr', 'a timeout on stderr', 7],
      ['stdout', 'hello from stdout', 7],
    ],
  );
  for (const e of all) assert.match(e.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.deepEqual(lines(logs, { app, service: 'worker' }), ['worker says timeout too']);
  assert.deepEqual(lines(logs, { app, stream: 'stderr' }), ['a timeout on stderr']);
  assert.deepEqual(lines(logs, { app, stream: 'file' }), ['written to a file']);
  assert.deepEqual(lines(logs, { app, release: 8 }), ['worker says timeout too']);
  assert.deepEqual(lines(logs, { app, grep: 'TIMEOUT' }).sort(), ['a timeout on stderr', 'worker says timeout too']);
  assert.deepEqual(lines(logs, { app, grep: 'ut' }).sort(), ['a timeout on stderr', 'hello from stdout', 'worker says timeout too']);
  assert.equal(logs.query({ app, since: t0, limit: 100 }).length, 4);
  assert.equal(logs.query({ app, until: t0, limit: 100 }).length, 0);
  assert.equal(logs.query({ app, since: new Date(Date.now() + 60_000), limit: 100 }).length, 0);
  assert.deepEqual(lines(logs, { app, limit: 1 }).length, 1, 'the last N only');
});

test('a rotated log file (renamed, then a new file) is finished and the new one read: nothing lost', async () => {
  const logs = await startLogs();
  const app = newApp('rot');
  // Numbers 1-300 by reopening the file, 301-400 through a descriptor kept open across the
  // rename (as an app does until told to reopen), 401-1000 into the new file.
  const script = [
    'mkdir -p /var/log/app; cd /var/log/app',
    'for i in $(seq 1 300); do echo "n=$i" >> app.log; done',
    'exec 3>>app.log; sleep 1',
    'mv app.log app.log.1',
    'for i in $(seq 301 400); do echo "n=$i" >&3; done; exec 3>&-',
    'for i in $(seq 401 1000); do echo "n=$i" >> app.log; if (( i == 600 )); then sleep 1; fi; done',
    'sleep 1',
  ].join('\n');
  await run({ app, service: 'web', release: 1, logFiles: ['/var/log/app/*.log'], script });
  await waitFor('1000 file lines', () => logs.query({ app, stream: 'file', limit: 5000 }).length >= 1000);
  await new Promise((r) => setTimeout(r, 1500)); // any duplicate would show up by now
  await logs.flush();
  const got = lines(logs, { app, stream: 'file', limit: 5000 });
  assert.equal(got.length, 1000);
  assert.deepEqual(new Set(got), new Set(Array.from({ length: 1000 }, (_, i) => `n=${i + 1}`)));
});

test('follow sees lines written after it started, and lines of the next color of the same app', async () => {
  const logs = await startLogs();
  const app = newApp('fol');
  const ac = new AbortController();
  const seen: LogEntry[] = [];
  const following = (async () => {
    for await (const e of logs.follow({ app }, ac.signal)) seen.push(e);
  })();
  await run({ app, service: 'web', release: 1, color: 'blue', script: 'echo "blue 1"; sleep 2; echo "blue 2"; sleep 30' });
  await waitFor('blue lines', () => seen.some((e) => e.line === 'blue 2'));
  await run({ app, service: 'web', release: 2, color: 'green', script: 'echo "green 1"; sleep 30' });
  await waitFor('green line', () => seen.some((e) => e.line === 'green 1'));
  ac.abort();
  await following;
  assert.deepEqual(seen.map((e) => `${e.release} ${e.line}`), ['1 blue 1', '1 blue 2', '2 green 1']);
  assert.ok(seen.every((e) => e.app === app && e.service === 'web'));
});

test('a follow with filters only yields matching lines', async () => {
  const logs = await startLogs();
  const app = newApp('folf');
  const ac = new AbortController();
  const seen: string[] = [];
  const following = (async () => {
    for await (const e of logs.follow({ app, stream: 'stderr', grep: 'error' }, ac.signal)) seen.push(e.line);
  })();
  await run({ app, service: 'web', release: 1, script: 'echo "error on stdout"; echo "fine" >&2; echo "an ERROR here" >&2; echo done' });
  await waitFor('stdout done', () => logs.query({ app }).some((e) => e.line === 'done'));
  await logs.flush();
  ac.abort();
  await following;
  assert.deepEqual(seen, ['an ERROR here']);
});

test('a line longer than 16 KiB is kept whole and invalid UTF-8 shows as U+FFFD', async () => {
  const logs = await startLogs();
  const app = newApp('long');
  await run({
    app,
    service: 'web',
    release: 1,
    script: `head -c 100000 /dev/zero | tr '\\0' x; echo; printf 'bad \\xff\\xfe end\\n'; echo after`,
  });
  await waitFor('3 lines', () => logs.query({ app }).length >= 3);
  const got = lines(logs, { app });
  assert.equal(got.length, 3);
  assert.equal(got[0], 'x'.repeat(100_000));
  assert.equal(got[1], 'bad \uFFFD\uFFFD end');
  assert.equal(got[2], 'after');
});

test('lines of a container that exited before Slipway started are still shipped, once', async () => {
  const app = newApp('exit');
  const c = await run({ app, service: 'web', release: 3, script: 'for i in 1 2 3; do echo "gone $i"; done' });
  await c.wait();
  const config = testConfig();
  let logs = await startLogs(config);
  await waitFor('3 lines', () => logs.query({ app }).length >= 3);
  await logs.stop();
  logs = await startLogs(config); // a restart must not ship them again
  await new Promise((r) => setTimeout(r, 1000));
  await logs.flush();
  assert.deepEqual(lines(logs, { app }), ['gone 1', 'gone 2', 'gone 3']);
});

test('build and deploy output written by the pipeline is stored under service build/deploy', async () => {
  const logs = await startLogs();
  const app = newApp('build');
  const w = logs.lineWriter({ app, service: 'build', release: 4 });
  w.write('Step 1/2 : FROM node:18-slim\nStep 2/2 : RUN npm ci\n');
  w.write('done');
  await w.flush();
  assert.deepEqual(lines(logs, { app, service: 'build' }), ['Step 1/2 : FROM node:18-slim', 'Step 2/2 : RUN npm ci', 'done']);
  assert.deepEqual(logs.query({ app, service: 'build' }).map((e) => [e.stream, e.release]), [['build', 4], ['build', 4], ['build', 4]]);
});
