// The test swarm itself (test/helpers/swarm.ts): three dockerds in their own namespaces form a
// swarm whose overlay network carries traffic between nodes, and stop() leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startSwarmHarness, swarmUnavailable, tcpForward } from '../helpers/swarm.js';

const run = promisify(execFile);
const skip = swarmUnavailable() ?? false;

test('three namespaced dockerds form a swarm; an overlay reaches a task on every node; stop() removes everything', { skip }, async () => {
  const h = await startSwarmHarness({ nodes: 3, mirrorPort: 5000 });
  let forward: Awaited<ReturnType<typeof tcpForward>> | undefined;
  try {
    forward = await tcpForward(h.hostAddr, 5000, '127.0.0.1', 5000);
    const image = 'python:3.11-slim';
    await h.docker(0, ['swarm', 'init', '--advertise-addr', h.nodes[0]!.addr]);
    const token = (await h.docker(0, ['swarm', 'join-token', '-q', 'worker'])).trim();
    for (const i of [1, 2]) await h.docker(i, ['swarm', 'join', '--token', token, `${h.nodes[0]!.addr}:2377`]);
    const hostnames = (await h.docker(0, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).trim().split('\n').sort();
    assert.deepEqual(hostnames, h.nodes.map((n) => `${n.name} Ready`).sort());

    await h.docker(0, ['network', 'create', '-d', 'overlay', '--attachable', 'harness-net']);
    await h.docker(0, [
      'service', 'create', '-d', '--name', 'echo', '--network', 'harness-net', '--endpoint-mode', 'dnsrr',
      '--replicas', '3', '--placement-pref', 'spread=node.id', image, 'python3', '-m', 'http.server', '8000',
    ]);
    let tasks: string[] = [];
    for (let i = 0; i < 300; i++) {
      tasks = (await h.docker(0, ['service', 'ps', 'echo', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}'])).trim().split('\n');
      if (tasks.length === 3 && tasks.every((t) => / Running /.test(t))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(new Set(tasks.map((t) => t.split(' ')[0])).size, 3, `one task per node: ${tasks.join('; ')}`);

    // From a container on node 1, every task answers over the overlay (one per node).
    const probe = `import socket,urllib.request
ips=sorted({a[4][0] for a in socket.getaddrinfo('tasks.echo',8000)})
print(len(ips), all(urllib.request.urlopen('http://%s:8000/' % ip, timeout=10).status == 200 for ip in ips))`;
    const out = await h.docker(0, ['run', '--rm', '--network', 'harness-net', image, 'python3', '-c', probe]);
    assert.equal(out.trim(), '3 True');
  } finally {
    forward?.close();
    await h.stop();
  }
  const ns = (await run('ip', ['netns', 'list'])).stdout;
  assert.doesNotMatch(ns, new RegExp(h.bridge));
  assert.doesNotMatch((await run('ip', ['-br', 'link'])).stdout, new RegExp(h.bridge));
  assert.doesNotMatch((await run('iptables', ['-S', 'FORWARD'])).stdout, new RegExp(h.bridge));
  assert.equal(existsSync(`/tmp/${h.bridge}`), false);
  assert.doesNotMatch((await run('ps', ['-eo', 'cmd'])).stdout, new RegExp(`/tmp/${h.bridge}`));
});
