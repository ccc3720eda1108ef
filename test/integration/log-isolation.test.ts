// What an app's containers can make Slipway (root) read into their logs, against a real server,
// Docker and real deploys: a symlink in a log volume to a host file ships nothing of that file
// (and says why, once), and an image's `LABEL slipway.logs.files` naming another app's volume
// does not get that volume tailed — which files to tail comes from the stored release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LogEntry } from '../../src/logs/entry.js';
import { docker, useAppServer } from '../helpers/apps.js';
import { uniqueName } from '../helpers/server.js';

const h = useAppServer('slipway-logiso-');

/** A node app that prints `tick N` every 200 ms; `setup` runs first, inside the container. */
function appDir(name: string, files: Record<string, string>, setup: string): string {
  const dir = path.join(h.tmp, name);
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, 'server.js'),
    `const fs = require('fs');\n${setup}\nlet n = 0;\nsetInterval(() => console.log('tick ' + ++n), 200);\n` +
      `require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT);\n`,
  );
  for (const [f, body] of Object.entries(files)) writeFileSync(path.join(dir, f), body);
  return dir;
}

async function deploy(prefix: string, dir: string, config: Record<string, string> = {}): Promise<string> {
  const app = await h.create(uniqueName(prefix));
  if (Object.keys(config).length) assert.equal((await h.s.api(`/api/apps/${app}/config`, { method: 'POST', body: JSON.stringify({ set: config }) })).status, 200);
  await h.deploy(app, dir);
  return app;
}

async function logs(app: string): Promise<LogEntry[]> {
  return (await (await h.s.api(`/api/apps/${app}/logs?n=10000`)).json()) as LogEntry[];
}

async function until(app: string, what: string, ok: (l: LogEntry[]) => boolean): Promise<LogEntry[]> {
  for (let i = 0; i < 900; i++) {
    const l = await logs(app);
    if (ok(l)) return l;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} in the logs of ${app}`);
}

const DOCKERFILE = 'FROM node:18-slim\nWORKDIR /app\nCOPY server.js .\nCMD ["node", "server.js"]\n';

test('a symlink in a log volume to a host file ships none of it, and the app\'s logs say why once', async () => {
  const hostDir = mkdtempSync(path.join(h.tmp, 'host-'));
  const secret = path.join(hostDir, 'secret.txt');
  writeFileSync(secret, 'HOST-SECRET-CONTENT do not ship\n');
  const compose = 'services:\n  web:\n    build: .\n    labels:\n      slipway.logs.files: /var/log/app/*.log\n';
  const dir = appDir(
    'symlink',
    { Dockerfile: DOCKERFILE, 'docker-compose.yml': compose },
    `fs.mkdirSync('/var/log/app', { recursive: true });\n` +
      `fs.symlinkSync(process.env.HOST_SECRET, '/var/log/app/evil.log');\n` +
      `let g = 0;\nsetInterval(() => fs.appendFileSync('/var/log/app/good.log', 'good line ' + ++g + '\\n'), 200);`,
  );
  const app = await deploy('lsym', dir, { HOST_SECRET: secret });
  // Many polls of the log volume later (the shipper polls every 500 ms)…
  const l = await until(app, 'good line 15', (l) => l.some((e) => e.line === 'good line 15'));
  assert.ok(l.some((e) => e.stream === 'file:/var/log/app/good.log'), 'the declared regular file is shipped');
  assert.deepEqual(l.filter((e) => e.line.includes('HOST-SECRET')), [], 'the host file reached the store');
  const said = l.filter((e) => e.line.startsWith('slipway: /var/log/app/evil.log is not shipped'));
  assert.equal(said.length, 1, JSON.stringify(said));
  assert.match(said[0]!.line, /symbolic link/);
});

test('an image LABEL slipway.logs.files naming another app\'s log volume does not get it tailed', async () => {
  const victim = uniqueName('victim');
  const volume = `slipway-${victim}-web-blue-1-logs0`;
  h.volumes.push(volume);
  await docker.createVolume({ Name: volume, Labels: { 'slipway.app': victim } });
  const { Mountpoint } = await docker.getVolume(volume).inspect();
  writeFileSync(path.join(Mountpoint, 'app.log'), 'VICTIM-PRIVATE-LINE\n');
  const label = JSON.stringify([{ volume, target: '/var/log/app', pattern: '*.log' }]);
  const dir = appDir('label', { Dockerfile: DOCKERFILE + `LABEL slipway.logs.files=${JSON.stringify(label)}\n` }, '');
  const app = await deploy('llbl', dir);
  const l = await until(app, 'tick 15', (l) => l.some((e) => e.line === 'tick 15'));
  assert.deepEqual(l.filter((e) => e.line.includes('VICTIM') || e.stream.startsWith('file:')), []);
});
