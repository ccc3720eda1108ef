// Push-to-serving benchmark: first deploy, no-change redeploy and one-line change of a Node
// app through `git push` to a real Slipway, with each phase timed from the live output
// (receive, build, push, start, healthy), next to the floor measured in the same run: plain
// `docker build` + `docker run` of the same context until its port answers.
// Run: npx tsx bench/push-to-serving.ts   (needs `npm run up`'s daemons; uses its own data dir,
// and removes its app, server, floor images and temp dirs whatever happens)
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoFrom, pushUrl, type Repo } from '../test/helpers/git.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../test/helpers/server.js';
import { GIT, HAPROXY, requireAll } from './lib/needs.js';

const run = promisify(execFile);
const FIXTURE = path.join(ROOT, 'test/fixtures/apps/node-procfile');

/** Milestones in the push output, in order; the time to each is when its line arrived. */
const MILESTONES: [string, RegExp][] = [
  ['receive', /-----> Building/],
  ['build', /-----> Pushing|Pushed/],
  ['push', /Pushed .*:v\d+/],
  ['start', /starting web/],
  ['healthy', /healthy/],
  ['serving', /Deployed v\d+/],
];

async function timedPush(repo: Repo, url: string): Promise<Record<string, number>> {
  const t0 = performance.now();
  const marks: Record<string, number> = {};
  await new Promise<void>((resolve, reject) => {
    const p = spawn('git', ['push', url, 'main'], { cwd: repo.dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (const [name, re] of MILESTONES) if (!(name in marks) && re.test(buf)) marks[name] = performance.now() - t0;
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`push failed:\n${buf}`))));
  });
  marks.total = performance.now() - t0;
  return marks;
}

function waitForHttp(port: number, deadline = Date.now() + 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve();
      });
      req.on('error', () => (Date.now() > deadline ? reject(new Error('never answered')) : setTimeout(attempt, 50)));
    };
    attempt();
  });
}

async function floor(label: string, context: string): Promise<Record<string, number>> {
  const tag = `slipway-bench-floor:${label}`;
  const t0 = performance.now();
  // The same Dockerfile the node buildpack generates would be fairer still; the fixture's
  // own Dockerfile-equivalent is built from the same context with the same base image.
  await run('docker', ['build', '-q', '-t', tag, '-f', path.join(context, 'Dockerfile.floor'), context], { maxBuffer: 1 << 26 });
  const built = performance.now() - t0;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const { stdout } = await run('docker', ['run', '-d', '--rm', '-e', 'PORT=5000', '-p', `127.0.0.1:${port}:5000`, tag]);
  await waitForHttp(port);
  const total = performance.now() - t0;
  await run('docker', ['rm', '-f', stdout.trim()]);
  return { build: built, total };
}

const fmt = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)}s`);

async function main() {
  await requireAll('push-to-serving', [GIT, HAPROXY, { service: 'docker' }, { service: 'redis' }, { service: 'registry' }]);
  let s: TestServer | undefined;
  let app = '';
  const dirs: string[] = [];
  try {
    s = await startTestServer();
    app = uniqueName('bench');
    await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) });
    const repo = await repoFrom(FIXTURE);
    dirs.push(repo.dir);
    await repo.commit('first');
    const url = pushUrl(s.url, s.token, app);
    const rows: [string, Record<string, number>][] = [];
    rows.push(['first deploy', await timedPush(repo, url)]);
    await repo.commit('no change');
    rows.push(['no-change redeploy', await timedPush(repo, url)]);
    await repo.commit('one line', { VERSION: `changed-${Date.now()}\n` });
    rows.push(['one-line change', await timedPush(repo, url)]);

    // Floor: the same context, plain docker build + run until the port answers.
    const ctx = mkdtempSync(path.join(os.tmpdir(), 'floor-'));
    dirs.push(ctx);
    cpSync(repo.dir, ctx, { recursive: true });
    writeFileSync(
      path.join(ctx, 'Dockerfile.floor'),
      'FROM node:18-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm install --omit=dev\nCOPY . .\nENV PORT=5000\nCMD ["node", "server.js"]\n',
    );
    const floorFirst = await floor('a', ctx);
    const floorCached = await floor('b', ctx);

    const cols = ['receive', 'build', 'push', 'start', 'healthy', 'serving', 'total'];
    console.log(`\npush-to-serving (${os.cpus().length} cores) — time from \`git push\` start to each milestone`);
    console.log(['case'.padEnd(22), ...cols.map((c) => c.padStart(9))].join(''));
    for (const [name, m] of rows) console.log([name.padEnd(22), ...cols.map((c) => fmt(m[c]).padStart(9))].join(''));
    console.log(['floor: docker build+run'.padEnd(22), ...cols.map((c) => fmt(c === 'build' ? floorFirst.build : c === 'total' ? floorFirst.total : undefined).padStart(9))].join(''));
    console.log(['floor, cached rebuild'.padEnd(22), ...cols.map((c) => fmt(c === 'build' ? floorCached.build : c === 'total' ? floorCached.total : undefined).padStart(9))].join(''));
  } finally {
    if (s && app) await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
    await s?.stop().catch((e: unknown) => console.error('could not stop the bench server:', e));
    await run('docker', ['rmi', '-f', 'slipway-bench-floor:a', 'slipway-bench-floor:b']).catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
