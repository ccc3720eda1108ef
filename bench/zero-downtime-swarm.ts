// `bench/zero-downtime.ts --swarm`: the zero-downtime figures on a 3-node swarm built on this
// machine (test/helpers/swarm.ts) — Slipway's blue-green (HAProxy switching colors over the
// Runtime API, reaching tasks on the overlay) under wrk keep-alive load — beside Swarm's own
// rolling update of the same app through Swarm's own publishing, in the same run:
//  - the routing mesh (ingress) with --update-order start-first, where it works: it needs IPVS,
//    which these machines lack, so it is probed and reported as not serving when it doesn't;
//  - host-mode publishing: start-first cannot place a new task where the port is taken (every
//    node here), so it is tried and reported, then measured with stop-first, its only order.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDocker } from '../src/docker/client.js';
import { repoFrom, pushUrl } from '../test/helpers/git.js';
import { ROOT, freePort, startTestServer, uniqueName, type TestServer } from '../test/helpers/server.js';
import { slipwayTestImage } from '../test/helpers/slipway-image.js';
import { startSwarmHarness, type SwarmHarness } from '../test/helpers/swarm.js';
import { loadUntilStopped, wrkCounts, type WrkResult } from './lib/keepalive.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const failed = (r: WrkResult) => r.non2xx + r.socketErrors;
const line = (label: string, r: WrkResult, note = '') =>
  console.log(
    `  ${label.padEnd(46)} requests ${String(r.requests).padStart(7)}   failed ${String(failed(r)).padStart(6)}  (non-2xx ${r.non2xx}, socket errors ${r.socketErrors}` +
      `${r.refusedRounds ? `; ${r.refusedRounds} 5-s rounds refused outright` : ''})${note}`,
  );

/** Resolves to the exit status: 1 when a request through Slipway failed. */
export async function swarmBench(deploys: number, rollbacks: number): Promise<number> {
  const h = await startSwarmHarness({ nodes: 3, mirrorPort: 5000 });
  let s: TestServer | undefined;
  let app = '';
  try {
    const image = await slipwayTestImage(createDocker({ dockerSocket: '/var/run/docker.sock' }));
    s = await startTestServer({ clusterSocket: h.nodes[0]!.socket, clusterAddr: h.hostAddr, agentImage: image, drainSeconds: 30, healthTimeoutSeconds: 180 });
    await clusterUp(h, s);
    app = uniqueName('zdts');
    await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) });
    const repo = await repoFrom(path.join(ROOT, 'test/fixtures/apps/node-procfile'));
    const url = pushUrl(s.url, s.token, app);
    const shaA = await repo.commit('version A', { VERSION: 'A\n' });
    const shaB = await repo.commit('version B', { VERSION: 'B\n' });
    for (const sha of [shaB, shaA]) {
      const first = await repo.push(url, `${sha}:refs/heads/main`, ['--force']);
      if (first.code !== 0) throw new Error(first.output);
    }
    const scaled = await s.cli(['scale', app, 'web=3']);
    if (scaled.code !== 0) throw new Error(scaled.stdout + scaled.stderr);

    // Slipway: deploys alternate the two commits, then rollbacks, under load through HAProxy.
    const load = loadUntilStopped(`http://127.0.0.1:${s.config.httpPort}/`, `${app}.${s.config.appsDomain}`);
    const t0 = Date.now();
    for (let i = 0; i < deploys; i++) {
      const res = await repo.push(url, `${i % 2 === 0 ? shaB : shaA}:refs/heads/main`, ['--force']);
      if (res.code !== 0) throw new Error(`deploy ${i + 1} failed:\n${res.output}`);
      process.stdout.write(`swarm deploy ${i + 1}/${deploys} ok\r`);
    }
    for (let i = 0; i < rollbacks; i++) {
      const res = await s.cli(['rollback', app]);
      if (res.code !== 0) throw new Error(`rollback ${i + 1} failed:\n${res.stdout}${res.stderr}`);
    }
    const slipway = await load.stop();
    const slipwaySecs = (Date.now() - t0) / 1000;

    // Slipway's figures first: the Swarm-native runs below may take long or fail here.
    console.log(`\nzero-downtime --swarm: 3 nodes (namespaced dockerds), web ×3, wrk -t2 -c20 keep-alive`);
    line(`Slipway: ${deploys} deploys + ${rollbacks} rollbacks (${slipwaySecs.toFixed(0)} s)`, slipway, '  ← through HAProxy, blue-green');

    // Swarm's own update of the same app: the two release images, by digest, 3 replicas.
    const rel = (await (await s.api(`/api/apps/${app}/releases`)).json()) as { image: string }[];
    const images = [...new Set(rel.map((r) => r.image.replace('127.0.0.1:5000', `${h.hostAddr}:5000`)))].slice(0, 2);
    const ingress = await nativeIngress(h, images);
    const host = await nativeHostMode(h, images, deploys);

    if (ingress.result) line('Swarm ingress, --update-order start-first', ingress.result);
    else console.log(`  Swarm ingress (routing mesh), start-first:     not measured: ${ingress.note}`);
    console.log(`  Swarm host-mode publish, start-first:          not measured: ${host.startFirstNote}`);
    line(`Swarm host-mode publish, stop-first, ${host.updates} updates`, host.result, `  ← wrk on one node's port`);
    if (failed(slipway) > 0 || slipway.requests === 0) {
      console.log(`FAIL: ${failed(slipway)} of ${slipway.requests} requests through Slipway failed (zero-downtime means 0)`);
      return 1;
    }
    return 0;
  } finally {
    if (s && app) await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
    await s?.stop().catch(() => undefined);
    await h.stop();
  }
}

/** cluster:init on node 1, the others join with the line nodes:add prints. */
async function clusterUp(h: SwarmHarness, s: TestServer): Promise<void> {
  const init = await s.cli(['cluster:init', '--advertise-addr', h.nodes[0]!.addr]);
  if (init.code !== 0) throw new Error(init.stdout + init.stderr);
  const add = await s.cli(['nodes:add']);
  const join = /docker (swarm join --token \S+ \S+)/.exec(add.stdout);
  if (!join) throw new Error(add.stdout);
  for (const i of [1, 2]) await h.docker(i, join[1]!.split(' '));
}

const svc = (name: string, image: string, publish: string, order: string) => [
  'service', 'create', '-d', '--name', name, '--replicas', '3', '--publish', publish, '--update-order', order,
  '--update-parallelism', '1', '--env', 'PORT=5000', image, 'sh', '-c', 'node server.js',
];

async function answers(url: string, seconds: number): Promise<boolean> {
  for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(1000)) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return true;
  }
  return false;
}

/** The routing mesh: published on every node's port, balanced by IPVS. */
async function nativeIngress(h: SwarmHarness, images: string[]): Promise<{ result?: WrkResult; note: string }> {
  const port = await freePort();
  await h.docker(0, svc('zdt-ingress', images[0]!, `published=${port},target=5000`, 'start-first'));
  try {
    const url = `http://${h.nodes[0]!.addr}:${port}/`;
    if (!(await answers(url, 90))) return { note: `nothing answers on ${url}: the routing mesh needs IPVS (the ip_vs kernel module), which this machine lacks` };
    const load = loadUntilStopped(url, null);
    for (let i = 1; i <= 4; i++) await run('docker', ['-H', `unix://${h.nodes[0]!.socket}`, 'service', 'update', '--image', images[i % 2]!, 'zdt-ingress']);
    return { result: await load.stop(), note: '' };
  } finally {
    await h.docker(0, ['service', 'rm', 'zdt-ingress']).catch(() => undefined);
  }
}

/** Host-mode publishing: each task binds the port on its node; clients pick a node. */
async function nativeHostMode(h: SwarmHarness, images: string[], updates: number) {
  const port = await freePort();
  await h.docker(0, svc('zdt-host', images[0]!, `mode=host,published=${port},target=5000`, 'start-first'));
  try {
    const url = `http://${h.nodes[0]!.addr}:${port}/`;
    if (!(await answers(url, 180))) throw new Error(`the host-mode service never answered on ${url}`);
    // start-first: the new task needs a node where the port is free; with a task on every node there is none.
    await h.docker(0, ['service', 'update', '-d', '--image', images[1]!, 'zdt-host']);
    await sleep(30_000);
    const pending = (await h.docker(0, ['service', 'ps', 'zdt-host', '--filter', 'desired-state=running', '--format', '{{.CurrentState}} {{.Error}}'])).trim();
    const startFirstNote = /Pending|no suitable node/i.test(pending)
      ? `the new task stays pending (${pending.split('\n').find((l) => /Pending/.test(l))?.trim() ?? 'no node with the port free'}): a host port is taken on every node`
      : `the update went through without a free node?! (${pending.replace(/\n/g, '; ')})`;
    await h.docker(0, ['service', 'update', '--rollback', '-d', 'zdt-host']).catch(() => undefined);
    await h.docker(0, ['service', 'update', '--update-order', 'stop-first', '--image', images[0]!, 'zdt-host']);
    if (!(await answers(url, 120))) throw new Error(`the host-mode service stopped answering on ${url}`);
    const load = loadUntilStopped(url, null);
    await wrkCounts(url, null, 1);
    for (let i = 1; i <= updates; i++) await h.docker(0, ['service', 'update', '--image', images[i % 2]!, 'zdt-host']);
    return { startFirstNote, result: await load.stop(), updates };
  } finally {
    await h.docker(0, ['service', 'rm', 'zdt-host']).catch(() => undefined);
  }
}
