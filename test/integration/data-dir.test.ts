// Slipway's data dir is private, as the real `slipway server` process leaves it: the directory is
// 0700 even when an older install made it 0755, every file and folder it writes (state, logs,
// build output, deploy output, repos, HAProxy's files) is its owner's only, and a config value
// is not in state.db in clear.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serverProcess, type ServerProcess } from '../helpers/server-process.js';
import { ROOT, runCli, uniqueName } from '../helpers/server.js';

const SECRET = `s3cr3t-${uniqueName('value')}`;
let sp: ServerProcess;
let app: string;

before(async () => {
  sp = await serverProcess();
  // As `npm run up` left it before this fix.
  chmodSync(sp.dataDir, 0o755);
  await sp.start();
  app = uniqueName('priv');
  const cli = (args: string[]) => runCli(args, { SLIPWAY_URL: sp.url, SLIPWAY_TOKEN: sp.token });
  assert.equal((await cli(['apps:create', app])).code, 0);
  assert.equal((await cli(['config:set', app, `SECRET_TOKEN=${SECRET}`])).code, 0);
  const deploy = await cli(['deploy', app, path.join(ROOT, 'test/fixtures/apps/dockerfile-node')]);
  assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
  // A push too, so the app's bare repository exists.
  const refs = await fetch(`${sp.url}/git/${app}.git/info/refs?service=git-receive-pack`, {
    headers: { authorization: 'Basic ' + Buffer.from(`git:${sp.token}`).toString('base64') },
  });
  assert.equal(refs.status, 200);
  await refs.arrayBuffer();
});

after(async () => {
  if (sp && app) await sp.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await sp?.cleanup();
});

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    yield p;
    if (lstatSync(p).isDirectory()) yield* walk(p);
  }
}

test('the data dir is 0700 and nothing under it is readable, writable or enterable by group or others', () => {
  assert.equal(lstatSync(sp.dataDir).mode & 0o777, 0o700);
  const open: string[] = [];
  const seen = new Set<string>();
  for (const p of walk(sp.dataDir)) {
    const rel = path.relative(sp.dataDir, p);
    // The test harness's own log of the server's output, opened by this process.
    if (rel === 'server.log') continue;
    seen.add(rel.split(path.sep)[0]!);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.mode & 0o077) open.push(`${rel} ${(st.mode & 0o777).toString(8)}`);
  }
  assert.deepEqual(open, []);
  // The walk saw what the issue names, so the assertion above covered them.
  for (const part of ['state.db', 'logs.db', 'builds', 'deploys', 'repos', 'haproxy', 'secret.key', 'admin-token']) assert.ok(seen.has(part), `${part} missing from ${[...seen].join(', ')}`);
});

test('a config value is not in state.db (nor its write-ahead log) in clear, and the API still shows it', async () => {
  const db = path.join(sp.dataDir, 'state.db');
  for (const f of [db, `${db}-wal`].filter(existsSync)) assert.ok(!readFileSync(f).includes(SECRET), `${path.basename(f)} holds the config value in clear`);
  const config = (await (await sp.api(`/api/apps/${app}/config`)).json()) as Record<string, string>;
  assert.equal(config.SECRET_TOKEN, SECRET);
});
