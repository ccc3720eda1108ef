// Slipway in swarm mode on a fresh test swarm (test/helpers/swarm.ts), as a user sets it up:
// Slipway's image in the registry (the agents run it), `slipway cluster:init` on the first node,
// and the `docker swarm join` line `slipway nodes:add` prints, run on the others. For tests that
// need a working swarm to start from; test/integration/swarm.test.ts checks these steps themselves.
import assert from 'node:assert/strict';
import { createDocker } from '../../src/docker/client.js';
import { startTestServer, type TestServer } from './server.js';
import { slipwayTestImage } from './slipway-image.js';
import { startSwarmHarness, type SwarmHarness } from './swarm.js';

export interface SwarmSlipway {
  h: SwarmHarness;
  s: TestServer;
}

export async function startSwarmSlipway(nodes = 3, config: Parameters<typeof startTestServer>[0] = {}): Promise<SwarmSlipway> {
  const h = await startSwarmHarness({ nodes, mirrorPort: 5000 });
  let s: TestServer | undefined;
  try {
    const image = await slipwayTestImage(createDocker({ dockerSocket: '/var/run/docker.sock' }));
    s = await startTestServer({ clusterSocket: h.nodes[0]!.socket, clusterAddr: h.hostAddr, agentImage: image, healthTimeoutSeconds: 180, ...config });
    const init = await s.cli(['cluster:init', '--advertise-addr', h.nodes[0]!.addr]);
    assert.equal(init.code, 0, init.stdout + init.stderr);
    const add = await s.cli(['nodes:add']);
    assert.equal(add.code, 0, add.stderr);
    const join = /docker (swarm join --token \S+ \S+)/.exec(add.stdout);
    assert.ok(join, add.stdout);
    for (let i = 1; i < nodes; i++) await h.docker(i, join[1]!.split(' '));
    return { h, s };
  } catch (e) {
    await s?.stop().catch(() => undefined);
    await h.stop().catch(() => undefined);
    throw e;
  }
}
