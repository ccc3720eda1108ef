// Swarm mode commands: cluster:init, cluster, nodes, nodes:add, nodes:drain.
import type { Command } from 'commander';
import type { ApiClient } from './client.js';
import { follow } from './deploy-commands.js';
import { printList } from './output.js';

interface NodeRow {
  id: string;
  hostname: string;
  role: string;
  state: string;
  availability: string;
  addr: string;
  leader: boolean;
  labels: Record<string, string>;
  containers: string[];
}

export function registerClusterCommands(program: Command, client: () => ApiClient): void {
  program
    .command('cluster:init')
    .description("make this host's engine a Swarm manager and deploy every app to the swarm from now on")
    .option('--advertise-addr <ip>', 'the address the other machines reach this one at (swarm init)')
    .option('--addr <ip>', "this host's address on the cluster network, for the registry and the agents (default: the advertised one)")
    .action(async (opts: { advertiseAddr?: string; addr?: string }) => {
      await follow(client().lines('POST', '/api/cluster/init', opts));
    });

  program
    .command('cluster')
    .description('show whether Slipway deploys to one host or a swarm')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = await client().get<Record<string, string>>('/api/cluster');
      if (opts.json) return console.log(JSON.stringify(c, null, 2));
      if (c.engine !== 'swarm') return console.log('One host (slipway cluster:init switches to a swarm)');
      console.log(`Swarm since ${c.since}: manager ${c.manager}, registry for the nodes ${c.registry}`);
    });

  program
    .command('nodes')
    .description("the swarm's machines: state, availability, labels, and the apps' containers on each")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const nodes = await client().get<NodeRow[]>('/api/cluster/nodes');
      const rows = nodes.map((n) => ({
        ...n,
        id: n.id.slice(0, 12),
        role: n.leader ? 'manager (leader)' : n.role,
        labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || null,
        containers: n.containers.join(', ') || null,
      }));
      printList(opts.json ? (nodes as unknown as Record<string, unknown>[]) : rows, ['id', 'hostname', 'role', 'state', 'availability', 'addr', 'labels', 'containers'], opts.json);
    });

  program
    .command('nodes:add')
    .description('print how another machine joins the swarm')
    .action(async () => {
      const j = await client().get<{ command: string; registry: string; daemonJson: Record<string, string[]> }>('/api/cluster/join');
      console.log('On the new machine (Docker Engine installed, this host reachable):');
      console.log(`1. Let its Docker pull from Slipway's registry at ${j.registry}: add to /etc/docker/daemon.json`);
      console.log(`     ${JSON.stringify(j.daemonJson)}`);
      console.log('   (merged with what is there), then restart Docker (systemctl restart docker).');
      console.log('2. Join the swarm:');
      console.log(`     ${j.command}`);
      console.log('Then `slipway nodes` lists it; the next deploys spread over it.');
    });

  program
    .command('nodes:drain <node>')
    .description("move the apps' containers off a node (blue-green, a new release each), then drain it")
    .action(async (node: string) => {
      await follow(client().lines('POST', `/api/cluster/nodes/${encodeURIComponent(node)}/drain`, {}));
    });
}
