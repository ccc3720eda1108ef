// What `slipway nodes` shows, and how a node is named on the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findNode, nodeViews } from '../../../src/cluster/nodes.js';
import type { NodeInfo } from '../../../src/docker/swarm.js';

const node = (id: string, hostname: string): NodeInfo => ({ id, hostname, role: 'worker', state: 'ready', availability: 'active', addr: '', leader: false, labels: {}, engine: '20.10' });
const nodes = [node('abcd1234xyz', 'web1'), node('abce9999xyz', 'web2')];

test("each node lists the apps' containers running there", () => {
  const services: { id: string; name: string; labels: Record<string, string> }[] = [{ id: 's1', name: 'slipway_shop_web_blue', labels: { 'slipway.app': 'shop', 'slipway.service': 'web', 'slipway.color': 'blue', 'slipway.release': '3' } }, { id: 'agent', name: 'slipway-agent-x', labels: {} }];
  const task = (serviceId: string, nodeId: string, slot: number) => ({ serviceId, nodeId, slot }) as never;
  const views = nodeViews(nodes, [task('s1', 'abcd1234xyz', 1), task('s1', 'abcd1234xyz', 3), task('agent', 'abcd1234xyz', 0)], services);
  assert.deepEqual(views.map((v) => v.containers), [['shop/web blue v3.1', 'shop/web blue v3.3'], []]);
});

test('a node is named by hostname, id, or an unambiguous id prefix', () => {
  assert.equal(findNode(nodes, 'web2').id, 'abce9999xyz');
  assert.equal(findNode(nodes, 'abcd').hostname, 'web1');
  assert.throws(() => findNode(nodes, 'abc'), /no node abc/);
  assert.throws(() => findNode(nodes, 'nope'), /no node nope in the swarm/);
  assert.throws(() => findNode([...nodes, node('abcdzzzz', 'x')], 'abcd'), /names 2 nodes/);
});
