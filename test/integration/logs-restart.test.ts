// "Losing lines is the one thing users do not forgive": Slipway is killed with SIGKILL while a
// container writes 200,000 numbered lines, started again, and every number is stored once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { LABELS } from '../../src/domain.js';
import { LogService } from '../../src/logs/service.js';
import { ROOT, uniqueName } from '../helpers/server.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-logs-kill-'));
const app = uniqueName('lg-kill');
const TOTAL = 200_000;
let child: ChildProcess | null = null;
let logs: LogService | null = null;

after(async () => {
  child?.kill('SIGKILL');
  await logs?.stop().catch(() => undefined);
  const cs = await docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${app}`] } });
  for (const c of cs) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the LogService in a child process, so SIGKILL hits it mid-transaction like a real crash. */
function startChild(dataDir: string): Promise<ChildProcess> {
  // Evaluated from the repo root so `dockerode` resolves; tsx loads the .ts sources.
  const code = `import Docker from 'dockerode';
import { loadConfig } from ${JSON.stringify(path.join(ROOT, 'src/config.ts'))};
import { createLogger } from ${JSON.stringify(path.join(ROOT, 'src/log.ts'))};
import { LogService } from ${JSON.stringify(path.join(ROOT, 'src/logs/service.ts'))};
const logs = new LogService({ docker: new Docker({ socketPath: '/var/run/docker.sock' }), config: loadConfig({}, { dataDir: ${JSON.stringify(dataDir)} }), logger: createLogger('warn', true) });
await logs.start();
console.log('started');
setInterval(() => undefined, 1000);
`;
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => d.toString().includes('started') && resolve(p));
    p.on('exit', (code) => reject(new Error(`shipper child exited early (${code})`)));
  });
}

async function storedCount(dataDir: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(dataDir, 'logs.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM lines WHERE app = ?').get(app) as { n: number }).n;
  } finally {
    db.close();
  }
}

test('after SIGKILL mid-stream and a restart, every one of 200,000 numbered lines is stored exactly once', async () => {
  const dataDir = path.join(dir, 'data');
  child = await startChild(dataDir);
  // Paced so the kills land while the container is still writing.
  const script = `for i in $(seq 1 ${TOTAL}); do echo "n=$i"; if (( i % 5000 == 0 )); then sleep 0.2; fi; done`;
  const c = await docker.createContainer({
    name: `${app}-web`,
    Image: 'debian:bookworm-slim',
    Cmd: ['bash', '-c', script],
    Labels: { [LABELS.app]: app, [LABELS.service]: 'web', [LABELS.release]: '1', [LABELS.kind]: 'web' },
    HostConfig: { LogConfig: { Type: 'json-file', Config: {} } },
  });
  await c.start();
  // Kill twice at different points, each after some lines are in the store.
  for (const atLeast of [20_000, 80_000]) {
    const deadline = Date.now() + 120_000;
    while ((await storedCount(dataDir).catch(() => 0)) < atLeast) {
      if (Date.now() > deadline) throw new Error(`fewer than ${atLeast} lines shipped in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const exited = new Promise((r) => child!.once('exit', r));
    child!.kill('SIGKILL');
    await exited;
    child = atLeast === 20_000 ? await startChild(dataDir) : null;
  }
  // The last restart runs in-process, so the test can query through the LogService.
  logs = new LogService({ docker, config: loadConfig({}, { dataDir }), logger: silentLogger() });
  await logs.start();
  await c.wait();
  const deadline = Date.now() + 180_000;
  while (logs.query({ app, limit: 1 })[0]?.line !== `n=${TOTAL}`) {
    if (Date.now() > deadline) throw new Error('the last line never arrived');
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1000));
  await logs.flush();
  const got = logs.query({ app, limit: TOTAL * 2 });
  const counts = new Map<string, number>();
  for (const e of got) counts.set(e.line, (counts.get(e.line) ?? 0) + 1);
  const missing = [];
  const twice = [];
  for (let i = 1; i <= TOTAL; i++) {
    const n = counts.get(`n=${i}`) ?? 0;
    if (n === 0) missing.push(i);
    if (n > 1) twice.push(i);
  }
  assert.deepEqual({ missing: missing.slice(0, 10), duplicated: twice.slice(0, 10) }, { missing: [], duplicated: [] });
  assert.equal(got.length, TOTAL);
  // Engine order is kept: the store's time order is the numbers' order.
  assert.ok(got.every((e, i) => e.line === `n=${i + 1}`));
});
