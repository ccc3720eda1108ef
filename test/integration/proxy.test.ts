// HAProxy adapter against the real haproxy binary: Host routing, blue↔green switches over the
// Runtime API, reloads that keep state, adopting and restarting after a kill, and no failed
// request under keep-alive load while colors switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { silentLogger } from '../../src/log.js';
import { Proxy } from '../../src/proxy/haproxy.js';
import { sendCommand } from '../../src/proxy/runtime-api.js';
import { parseShowProc } from '../../src/proxy/commands.js';
import { getViaProxy } from '../helpers/http.js';
import { freePort } from '../helpers/server.js';

const HAPROXY = process.env.SLIPWAY_HAPROXY_BIN ?? 'haproxy';

/** A tiny app that answers its own name. */
async function app(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
  };
}

interface Fixture {
  dir: string;
  port: number;
  proxy: Proxy;
  blue: { port: number };
  green: { port: number };
  get(host: string, agent?: http.Agent): Promise<{ status: number; body: string }>;
  reloads(): Promise<number>;
  newProxy(): Proxy;
}

/** Runs `fn` with a started proxy, two apps and a temp dir; always cleans up. */
async function withProxy(t: { name: string }, fn: (f: Fixture) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-proxy-'));
  const port = await freePort();
  const [blue, green] = [await app('blue'), await app('green')];
  const proxies: Proxy[] = [];
  const newProxy = () => {
    const p = new Proxy({ haproxyBin: HAPROXY, dir, httpPort: port, bindAddress: '127.0.0.1', logger: silentLogger() });
    proxies.push(p);
    return p;
  };
  const proxy = newProxy();
  try {
    await proxy.start();
    await fn({
      dir,
      port,
      proxy,
      blue,
      green,
      get: (host, agent) => getViaProxy(port, host, '/', agent ?? false),
      reloads: async () => parseShowProc(await sendCommand(proxy.paths.masterSocket, 'show proc')).reloads,
      newProxy,
    });
  } catch (e) {
    throw new Error(`${t.name}: ${(e as Error).message}`, { cause: e });
  } finally {
    await proxies.at(-1)!.stop().catch(() => undefined);
    await Promise.all([blue.close(), green.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

const BE = 'demo_web';
const HOST = 'demo.apps.test';

test('a Host is served by the ready color, and a switch to the other color needs no reload', async (t) => {
  await withProxy(t, async ({ proxy, blue, green, get, reloads }) => {
    await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }]);
    await proxy.route(HOST, BE);
    await proxy.setColor(BE, 'blue', [{ addr: '127.0.0.1', port: blue.port }]);
    assert.deepEqual(await get(HOST), { status: 200, body: 'blue' });
    assert.equal((await get(`DEMO.apps.test:${8080}`)).body, 'blue', 'Host is matched lower-cased and without its port');

    const before = await reloads();
    await proxy.setColor(BE, 'green', [{ addr: '127.0.0.1', port: green.port }]);
    await proxy.drainColor(BE, 'blue');
    for (let i = 0; i < 5; i++) assert.equal((await get(HOST)).body, 'green');
    await proxy.disableColor(BE, 'blue');
    assert.equal(await reloads(), before, 'switching colors must not reload HAProxy');

    const state = await proxy.state(BE);
    assert.equal(state.length, 8);
    assert.deepEqual(
      state.filter((s) => s.state !== 'maint').map(({ slot, color, addr, port, state }) => ({ slot, color, addr, port, state })),
      [{ slot: 'green1', color: 'green', addr: '127.0.0.1', port: green.port, state: 'ready' }],
    );
  });
});

test('a host with no app gets a 404 page, an app with nothing ready a 503', async (t) => {
  await withProxy(t, async ({ proxy, get }) => {
    const miss = await get('nothing-here.apps.test');
    assert.equal(miss.status, 404);
    assert.match(miss.body, /no app at this address/);
    await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }]);
    await proxy.route(HOST, BE);
    assert.equal((await get(HOST)).status, 503);
    await proxy.unroute(HOST);
    assert.equal((await get(HOST)).status, 404);
  });
});

test('a reload (a new app) keeps existing routes and ready slots; only growth reloads', async (t) => {
  await withProxy(t, async ({ proxy, blue, green, get, reloads }) => {
    await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }]);
    await proxy.route(HOST, BE);
    await proxy.setColor(BE, 'green', [{ addr: '127.0.0.1', port: green.port }]);
    await proxy.setColor(BE, 'blue', [{ addr: '127.0.0.1', port: blue.port }]);
    await proxy.drainColor(BE, 'blue');

    const before = await reloads();
    const r = await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }, { name: 'other_web', slotsPerColor: 4 }]);
    assert.equal(r.reloaded, true);
    assert.equal(await reloads(), before + 1);
    for (let i = 0; i < 5; i++) assert.equal((await get(HOST)).body, 'green');
    const ready = (await proxy.state(BE)).filter((s) => s.state === 'ready');
    assert.deepEqual(ready.map((s) => [s.slot, s.port]), [['green1', green.port]]);

    assert.equal((await proxy.declareBackends([{ name: BE, slotsPerColor: 2 }])).reloaded, false, 'slots never shrink');
    assert.equal((await proxy.declareBackends([{ name: BE, slotsPerColor: 8 }])).reloaded, true, 'growing slots reloads');
    assert.equal((await proxy.state(BE)).length, 16);
    assert.equal((await get(HOST)).body, 'green');
  });
});

test('a restarted Slipway adopts the running HAProxy with its routes and slots', async (t) => {
  await withProxy(t, async ({ proxy, blue, green, get, newProxy, reloads }) => {
    await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }]);
    await proxy.route(HOST, BE);
    await proxy.setColor(BE, 'blue', [{ addr: '127.0.0.1', port: blue.port }]);

    const again = newProxy();
    const started = await again.start();
    assert.equal(started.adopted, true);
    assert.equal((await get(HOST)).body, 'blue');
    assert.deepEqual([...again.routes()], [[HOST, BE]]);
    const before = await reloads();
    assert.equal((await again.ensureBackends([{ name: BE, slotsPerColor: 4 }])).reloaded, false);
    assert.equal(await reloads(), before);
    await again.setColor(BE, 'green', [{ addr: '127.0.0.1', port: green.port }]);
    await again.disableColor(BE, 'blue');
    assert.equal((await get(HOST)).body, 'green');
  });
});

test('HAProxy keeps serving after the Node process that started it exits', async (t) => {
  await withProxy(t, async ({ dir, port, blue, proxy, get, newProxy }) => {
    await proxy.stop();
    const src = new URL('../../src/proxy/haproxy.ts', import.meta.url).href;
    const code = `
      const { Proxy } = await import(${JSON.stringify(src)});
      const p = new Proxy({ haproxyBin: ${JSON.stringify(HAPROXY)}, dir: ${JSON.stringify(dir)}, httpPort: ${port}, bindAddress: '127.0.0.1', logger: { info() {}, warn() {}, debug() {} } });
      await p.start();
      await p.ensureBackends([{ name: '${BE}', slotsPerColor: 4 }]);
      await p.route('${HOST}', '${BE}');
      await p.setColor('${BE}', 'blue', [{ addr: '127.0.0.1', port: ${blue.port} }]);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(exit, 0, stderr);
    assert.deepEqual(await get(HOST), { status: 200, body: 'blue' });
    assert.equal((await newProxy().start()).adopted, true);
  });
});

test('after HAProxy is killed with SIGKILL, start() starts a fresh one despite the stale files', async (t) => {
  await withProxy(t, async ({ proxy, green, get, newProxy }) => {
    await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }]);
    await proxy.route(HOST, BE);
    await proxy.setColor(BE, 'green', [{ addr: '127.0.0.1', port: green.port }]);
    const proc = parseShowProc(await sendCommand(proxy.paths.masterSocket, 'show proc'));
    for (const pid of [proc.master, ...proc.workers]) process.kill(pid, 'SIGKILL');
    assert.ok(existsSync(proxy.paths.pidFile) && existsSync(proxy.paths.masterSocket), 'a killed HAProxy leaves its files');

    const fresh = newProxy();
    const started = await fresh.start();
    assert.equal(started.adopted, false);
    assert.notEqual(started.pid, proc.master);
    // Routes survive in the map file; slots wait in maint for reconciliation to set them.
    assert.equal((await get(HOST)).status, 503);
    await fresh.setColor(BE, 'green', [{ addr: '127.0.0.1', port: green.port }]);
    assert.deepEqual(await get(HOST), { status: 200, body: 'green' });
  });
});

test('a pid file naming some other live process is stale, not a reason to give up', async (t) => {
  await withProxy(t, async ({ proxy, newProxy, get }) => {
    await proxy.stop();
    await writeFile(proxy.paths.pidFile, `${process.pid}\n`);
    const started = await newProxy().start();
    assert.equal(started.adopted, false);
    assert.notEqual(started.pid, process.pid);
    assert.equal((await get('x.apps.test')).status, 404);
  });
});

/** `total` GETs over 4 keep-alive connections while `during` runs; counts failures and bodies. */
async function underLoad(
  get: Fixture['get'],
  total: number,
  during: (sent: () => number) => Promise<void>,
): Promise<{ failures: string[]; seen: Record<string, number> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let sent = 0;
  const failures: string[] = [];
  const seen: Record<string, number> = {};
  const worker = async () => {
    while (sent < total) {
      sent++;
      try {
        const r = await get(HOST, agent);
        if (r.status !== 200) failures.push(`HTTP ${r.status}: ${r.body}`);
        else seen[r.body] = (seen[r.body] ?? 0) + 1;
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  try {
    await Promise.all([worker(), worker(), worker(), worker(), during(() => sent)]);
  } finally {
    agent.destroy();
  }
  return { failures, seen };
}

/** Waits until the load loop has sent `n` requests, so events spread over the run at any speed. */
async function after(sent: () => number, n: number): Promise<void> {
  while (sent() < n) await new Promise((r) => setTimeout(r, 5));
}

test('no request fails under keep-alive load while colors switch 10 times', { timeout: 120_000 }, async (t) => {
  await withProxy(t, async ({ proxy, blue, green, get }) => {
    await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }]);
    await proxy.route(HOST, BE);
    await proxy.setColor(BE, 'blue', [{ addr: '127.0.0.1', port: blue.port }]);
    const servers = { blue: [{ addr: '127.0.0.1', port: blue.port }], green: [{ addr: '127.0.0.1', port: green.port }] };
    const TOTAL = 2000;
    const { failures, seen } = await underLoad(get, TOTAL, async (sent) => {
      let color: 'blue' | 'green' = 'blue';
      for (let i = 0; i < 10; i++) {
        await after(sent, ((i + 1) * TOTAL) / 12);
        const next: 'blue' | 'green' = color === 'blue' ? 'green' : 'blue';
        await proxy.switchColor(BE, next, servers[next]);
        await proxy.disableColor(BE, color);
        color = next;
      }
    });
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok((seen.blue ?? 0) > 0 && (seen.green ?? 0) > 0, `both colors served: ${JSON.stringify(seen)}`);
  });
});

test('no request fails under keep-alive load while HAProxy reloads 5 times (new apps)', { timeout: 120_000 }, async (t) => {
  await withProxy(t, async ({ proxy, blue, get, reloads }) => {
    await proxy.ensureBackends([{ name: BE, slotsPerColor: 4 }]);
    await proxy.route(HOST, BE);
    await proxy.setColor(BE, 'blue', [{ addr: '127.0.0.1', port: blue.port }]);
    const before = await reloads();
    const { failures, seen } = await underLoad(get, 1500, async (sent) => {
      for (let i = 0; i < 5; i++) {
        await after(sent, ((i + 1) * 1500) / 7);
        await proxy.declareBackends([{ name: `extra${i}_web`, slotsPerColor: 4 }]);
      }
    });
    assert.deepEqual(failures.slice(0, 5), []);
    assert.equal(seen.blue, 1500);
    assert.equal(await reloads(), before + 5);
  });
});
