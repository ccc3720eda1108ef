// `slipway server` itself (not a shipper on its own) killed with SIGKILL, twice, while an app's
// container writes numbered lines to stdout, stderr and a declared log file; started again, it
// ships every line of each stream exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { repoFrom, pushUrl } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { uniqueName } from '../helpers/server.js';
import { serverProcess, type ServerProcess } from '../helpers/server-process.js';

const PER_STREAM = 20_000;
const STREAMS = ['stdout', 'stderr', 'file:/var/log/app/app.log'] as const;
let sp: ServerProcess;
let app: string;

// Writes nothing until GET /start, then 100 lines per stream every 100 ms (about 20 s in all).
const WEB_JS = `
const fs = require('fs');
const http = require('http');
fs.mkdirSync('/var/log/app', { recursive: true });
let started = false;
function write(from) {
  const to = Math.min(${PER_STREAM}, from + 99);
  let out = '', err = '', file = '';
  for (let i = from; i <= to; i++) { out += 'out n=' + i + '\\n'; err += 'err n=' + i + '\\n'; file += 'file n=' + i + '\\n'; }
  process.stdout.write(out); process.stderr.write(err); fs.appendFileSync('/var/log/app/app.log', file);
  if (to < ${PER_STREAM}) setTimeout(() => write(to + 1), 100);
}
http.createServer((req, res) => {
  if (req.url === '/start' && !started) { started = true; write(1); }
  res.end('ok\\n');
}).listen(process.env.PORT || 5000);
`;
const COMPOSE = `services:
  web:
    build: .
    command: ["node", "web.js"]
    expose: ["5000"]
    labels:
      slipway.logs.files: /var/log/app/*.log
`;

before(async () => {
  sp = await serverProcess();
  await sp.start();
  app = uniqueName('lkill');
  assert.equal((await sp.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});
after(async () => {
  await sp.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await sp.cleanup();
});

/** Lines stored per stream, read from the log store itself (what `slipway logs` reads). */
function stored(): Map<string, string[]> {
  const byStream = new Map<string, string[]>(STREAMS.map((s) => [s, []]));
  let db: Database.Database;
  try {
    db = new Database(path.join(sp.dataDir, 'logs.db'), { readonly: true, fileMustExist: true });
  } catch {
    return byStream;
  }
  try {
    const rows = db.prepare("SELECT stream, line FROM lines WHERE app = ? AND service = 'web' ORDER BY id").all(app) as { stream: string; line: string }[];
    for (const r of rows) byStream.get(r.stream)?.push(r.line);
  } finally {
    db.close();
  }
  return byStream;
}
const total = () => [...stored().values()].reduce((n, l) => n + l.length, 0);

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`never happened: ${what}`);
}

test('killed twice while a container writes stdout, stderr and a log file: 0 lines lost, 0 duplicated on each stream', async () => {
  const repo = await repoFrom(null, {
    Dockerfile: 'FROM node:18-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "web.js"]\n',
    'web.js': WEB_JS,
    'docker-compose.yml': COMPOSE,
  });
  await repo.commit('writer');
  const pushed = await repo.push(pushUrl(sp.url, sp.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  assert.equal((await getViaProxy(sp.httpPort, `${app}.localhost`, '/start')).status, 200);

  for (const atLeast of [0.15, 0.5].map((f) => Math.floor(f * PER_STREAM * STREAMS.length))) {
    await until(`${atLeast} lines stored`, () => total() >= atLeast);
    assert.ok(total() < PER_STREAM * STREAMS.length, 'the kill lands while the container still writes');
    await sp.kill('SIGKILL');
    await sp.start();
  }
  const last = (s: string) => stored().get(s)?.at(-1);
  await until('the last line of every stream', () => STREAMS.every((s) => last(s)?.endsWith(`n=${PER_STREAM}`)));
  await new Promise((r) => setTimeout(r, 1000)); // anything repeated after the last line would show now

  for (const [stream, lines] of stored()) {
    const prefix = stream === 'stdout' ? 'out' : stream === 'stderr' ? 'err' : 'file';
    const seen = new Map<string, number>();
    for (const l of lines) seen.set(l, (seen.get(l) ?? 0) + 1);
    const missing: number[] = [];
    const twice: number[] = [];
    for (let i = 1; i <= PER_STREAM; i++) {
      const n = seen.get(`${prefix} n=${i}`) ?? 0;
      if (n === 0) missing.push(i);
      if (n > 1) twice.push(i);
    }
    assert.deepEqual({ stream, missing: missing.slice(0, 10), duplicated: twice.slice(0, 10), count: lines.length }, { stream, missing: [], duplicated: [], count: PER_STREAM });
  }
});
