// A real multi-node Docker Swarm on this one machine, for the cluster tests: each node is a
// dockerd in its own network namespace (joined to the others by a bridge), with its own mount
// and UTS namespaces (scripts/swarm-node.sh), so it runs with Docker's default paths and its
// own hostname like a separate machine. Privileged containers are refused here, so no
// Docker-in-Docker; and `ip netns exec` would remount /sys and hide the cgroups, so nodes are
// entered with `nsenter --net`. Everything made is removed by stop() — also what an earlier
// run left behind when its process died (swept at the next start).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './server.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Every harness's names start with this: bridge `swtID`, namespaces `swtID-N`, dir /tmp/swtID. */
const PREFIX = 'swt';
/** Test swarms take /24s of this /16, away from Docker's default pools (172.17–31, 192.168). */
const NET16 = '10.231';

export interface SwarmNode {
  index: number;
  /** Hostname, network namespace and cgroup parent. */
  name: string;
  /** The node's address on the bridge (what `swarm init --advertise-addr` takes). */
  addr: string;
  dir: string;
  /** dockerd's API socket, reachable from the host. */
  socket: string;
  pid: number;
}

export interface SwarmHarness {
  id: string;
  bridge: string;
  /** This host's address on the cluster network (where the nodes reach Slipway and its registry). */
  hostAddr: string;
  subnet: string;
  nodes: SwarmNode[];
  /** The docker CLI against node `i` (0-based); returns stdout. */
  docker(i: number, args: string[]): Promise<string>;
  /** SIGKILLs node `i`'s dockerd (its containers live on, as on a machine whose engine crashed). */
  killNode(i: number): void;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  nodes?: number;
  /** The nodes pull Docker Hub names (`python:3.11-slim`) from a mirror on this port of the
   *  host's cluster address (Slipway's registry, which is seeded with the base images). */
  mirrorPort?: number;
}

/** Why the harness cannot run here (not root, a tool missing), or null. */
export function swarmUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the swarm harness needs root (network namespaces, bridges)';
  for (const tool of ['/usr/sbin/dockerd', '/usr/bin/nsenter', '/usr/bin/unshare'])
    if (!existsSync(tool) && !existsSync(tool.replace('/usr/sbin/', '/usr/bin/'))) return `${path.basename(tool)} is not installed`;
  return null;
}

async function sh(cmd: string, args: string[]): Promise<string> {
  return (await run(cmd, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

/** A /24 of 10.231/16 that no interface or route here uses. */
async function freeSubnet(): Promise<number> {
  const used = (await sh('ip', ['-4', '-o', 'addr', 'show'])) + (await sh('ip', ['-4', 'route', 'show', 'table', 'all']));
  for (let i = 0; i < 50; i++) {
    const o = 1 + Math.floor(Math.random() * 250);
    if (!used.includes(`${NET16}.${o}.`)) return o;
  }
  throw new Error(`no free /24 in ${NET16}.0.0/16`);
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export async function startSwarmHarness(opts: HarnessOptions = {}): Promise<SwarmHarness> {
  await sweepStale();
  const id = Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  const name = `${PREFIX}${id}`;
  const octet = await freeSubnet();
  const base = `${NET16}.${octet}`;
  const root = `/tmp/${name}`;
  const count = opts.nodes ?? 3;
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'owner'), `${process.pid} ${count}\n`);
  const h: SwarmHarness = {
    id,
    bridge: name,
    hostAddr: `${base}.1`,
    subnet: `${base}.0/24`,
    nodes: [],
    docker: async (i, args) => sh('docker', ['-H', `unix://${h.nodes[i]!.socket}`, ...args]),
    killNode: (i) => process.kill(h.nodes[i]!.pid, 'SIGKILL'),
    stop: () => teardown(name, count),
  };
  try {
    await sh('ip', ['link', 'add', name, 'type', 'bridge']);
    await sh('ip', ['addr', 'add', `${h.hostAddr}/24`, 'dev', name]);
    await sh('ip', ['link', 'set', name, 'up']);
    // The host's FORWARD policy is DROP (Docker's); traffic between the nodes crosses the bridge.
    await sh('iptables', ['-I', 'FORWARD', '-i', name, '-j', 'ACCEPT']);
    for (let i = 1; i <= count; i++) h.nodes.push(await startNode(name, i, base, h, opts));
    for (const n of h.nodes) await until(`dockerd of ${n.name} (log: ${n.dir}/dockerd.log)`, () => ping(n.socket), 60_000);
    return h;
  } catch (e) {
    await teardown(name, count).catch(() => undefined);
    throw e;
  }
}

async function startNode(name: string, i: number, base: string, h: SwarmHarness, opts: HarnessOptions): Promise<SwarmNode> {
  const node = `${name}-${i}`;
  const addr = `${base}.${10 + i}`;
  const dir = `/tmp/${name}/n${i}`;
  for (const d of ['run', 'lib', 'etc']) mkdirSync(path.join(dir, d), { recursive: true });
  await sh('ip', ['netns', 'add', node]);
  // Its inode, for teardown: what outlives the node's dockerd is found by it even once the
  // /var/run/netns link is gone.
  writeFileSync(path.join(`/tmp/${name}`, `netns-${i}`), nsInode(`/var/run/netns/${node}`) ?? '');
  await sh('ip', ['link', 'add', `${name}v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node]);
  await sh('ip', ['link', 'set', `${name}v${i}`, 'master', name, 'up']);
  await sh('ip', ['-n', node, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
  await sh('ip', ['-n', node, 'link', 'set', 'eth0', 'up']);
  await sh('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
  await sh('ip', ['-n', node, 'route', 'add', 'default', 'via', h.hostAddr]);
  const daemon: Record<string, unknown> = {
    // Slipway's registry as the nodes see it (over the bridge, plain HTTP), on any port of the host.
    'insecure-registries': [h.subnet],
    // The node's containers in a cgroup of their own, so teardown finds every one of them.
    'cgroup-parent': node,
    'log-level': 'warn',
  };
  if (opts.mirrorPort) daemon['registry-mirrors'] = [`http://${h.hostAddr}:${opts.mirrorPort}`];
  writeFileSync(path.join(dir, 'etc/daemon.json'), JSON.stringify(daemon, null, 2));
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'nsenter',
    [`--net=/var/run/netns/${node}`, '--', 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'bash', path.join(ROOT, 'scripts/swarm-node.sh'), dir, node],
    { detached: true, stdio: ['ignore', log, log] },
  );
  child.unref();
  return { index: i - 1, name: node, addr, dir, socket: path.join(dir, 'run/docker.sock'), pid: child.pid! };
}

async function until(what: string, probe: () => Promise<boolean>, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) if (await probe()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** The inode of a namespace file (`/proc/PID/ns/mnt`, a link; `/var/run/netns/X`, a bind mount
 *  of one, whose own inode it is), or null. */
function nsInode(file: string): string | null {
  try {
    return /\[(\d+)\]/.exec(readlinkSync(file))?.[1] ?? null;
  } catch {
    /* not a link: a bind-mounted namespace file */
  }
  try {
    return String(statSync(file).ino);
  } catch {
    return null;
  }
}

/**
 * Kills every process of the harness's nodes: those in a node's network namespace or mount
 * namespace (dockerd, its containerd and shims) and those in a node's cgroup (the containers).
 */
function killNodeProcesses(name: string, count: number): number {
  const netns = new Set<string>();
  const mntns = new Set<string>();
  // Each node on its own: a node whose dockerd is gone (killed by a test) still has its
  // containerd and shims in its network namespace, which /var/run/netns keeps until teardown.
  for (let i = 1; i <= count; i++) {
    // The recorded inode only while the node's veth is here: it proves the namespace still lives
    // (a veth goes with its namespace), so the inode is not one reused since.
    const n = nsInode(`/var/run/netns/${name}-${i}`) ?? (existsSync(`/sys/class/net/${name}v${i}`) ? readOptional(`/tmp/${name}/netns-${i}`)?.trim() : null);
    if (n) netns.add(n);
    const pid = Number(readOptional(`/tmp/${name}/n${i}/run/docker.pid`)?.trim() || NaN) || 0;
    const m = pid ? nsInode(`/proc/${pid}/ns/mnt`) : null;
    if (m && m !== nsInode('/proc/self/ns/mnt')) mntns.add(m);
  }
  const cgroup = new RegExp(`/${name}-\\d+(/|$)`, 'm');
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const mine =
        netns.has(nsInode(`/proc/${entry}/ns/net`) ?? '') ||
        mntns.has(nsInode(`/proc/${entry}/ns/mnt`) ?? '') ||
        cgroup.test(readFileSync(`/proc/${entry}/cgroup`, 'utf8'));
      if (mine) {
        process.kill(Number(entry), 'SIGKILL');
        killed++;
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return killed;
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The harness's interfaces still here: the bridge, and the host end of a node's veth (it goes
 *  with the node's network namespace, which goes with its last process). */
async function interfacesLeft(name: string): Promise<string[]> {
  return (await sh('ip', ['-o', 'link', 'show']))
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((dev) => dev === name || dev.startsWith(`${name}v`));
}

/** Kills the processes in a namespace known by its inode. */
function killInNetns(inode: string): number {
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (nsInode(`/proc/${entry}/ns/net`) === inode) {
        process.kill(Number(entry), 'SIGKILL');
        killed++;
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return killed;
}

async function teardown(name: string, count: number): Promise<void> {
  // The namespaces' inodes, for what outlives the first kill (see the end).
  const inodes = new Map<number, string>();
  for (let i = 1; i <= count; i++) {
    const n = readOptional(`/tmp/${name}/netns-${i}`)?.trim() || nsInode(`/var/run/netns/${name}-${i}`);
    if (n) inodes.set(i, n);
  }
  for (let round = 0; round < 20; round++) {
    const killed = killNodeProcesses(name, count);
    if (!killed) break;
    await sleep(250);
  }
  // The cgroups dockerd made for its containers (cgroup v1: one tree per controller).
  for (const ctrl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    for (let i = 1; i <= count; i++) removeCgroup(`/sys/fs/cgroup/${ctrl}/${name}-${i}`);
  }
  for (let i = 1; i <= count; i++) await sh('ip', ['netns', 'del', `${name}-${i}`]).catch(() => undefined);
  // Slipway's links to its edge container's namespace, left dangling now that the nodes are gone.
  for (const link of readdirSync('/var/run/netns').filter((l) => l.startsWith('slipway-edge-'))) {
    const target = (() => {
      try {
        return readlinkSync(`/var/run/netns/${link}`);
      } catch {
        return null;
      }
    })();
    if (target && !existsSync(target)) rmSync(`/var/run/netns/${link}`, { force: true });
  }
  // A node's veth still here means its namespace lives on (a process in it), so its inode is
  // still that namespace's (not one reused since): kill what is in it, until the veths go.
  let left: string[] = [];
  for (let i = 0; i < 40; i++, await sleep(250)) {
    left = (await interfacesLeft(name)).filter((dev) => dev !== name);
    if (!left.length) break;
    for (const dev of left) {
      const inode = inodes.get(Number(dev.slice(name.length + 1)));
      if (inode) killInNetns(inode);
    }
  }
  // Kept for the next start's sweep to try again (it finds the directory and the inodes in it).
  if (left.length) throw new Error(`the swarm harness ${name} left interfaces ${left.join(', ')}: a process lives on in a node's network namespace`);
  await sh('ip', ['link', 'del', name]).catch(() => undefined);
  // Only the rule this harness added (iptables -D removes one match per call).
  while (await sh('iptables', ['-C', 'FORWARD', '-i', name, '-j', 'ACCEPT']).then(() => true, () => false))
    await sh('iptables', ['-D', 'FORWARD', '-i', name, '-j', 'ACCEPT']);
  // rm(1): several times faster than Node's recursive rmSync on the nodes' image layers.
  for (let attempt = 0; ; attempt++) {
    try {
      await sh('rm', ['-rf', '--', `/tmp/${name}`]);
      break;
    } catch (e) {
      if (attempt >= 10) throw e;
      await sleep(500);
    }
  }
  left = await interfacesLeft(name);
  if (left.length) throw new Error(`the swarm harness ${name} left interface ${left.join(', ')}`);
}

function removeCgroup(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
    // cgroupfs directories go with rmdir (their files cannot be unlinked).
    rmdirSync(dir);
  } catch {
    /* still busy: the kernel frees it when its last process is gone */
  }
}

/** Removes what harnesses of dead test processes left: their nodes, namespaces, bridge, rule, files. */
async function sweepStale(): Promise<void> {
  for (const entry of readdirSync('/tmp')) {
    if (!new RegExp(`^${PREFIX}[a-z0-9]{4}$`).test(entry)) continue;
    let owner = 0;
    let count = 3;
    try {
      [owner, count] = readFileSync(`/tmp/${entry}/owner`, 'utf8').trim().split(' ').map(Number) as [number, number];
    } catch {
      /* no owner file: half made */
    }
    if (owner && existsSync(`/proc/${owner}`)) continue;
    await teardown(entry, count || 3).catch(() => undefined);
  }
}

/** Forwards `listen` (host:port) to `target` (host:port); for the harness's own checks. */
export function tcpForward(listenHost: string, listenPort: number, targetHost: string, targetPort: number): Promise<net.Server> {
  const server = net.createServer((c) => {
    const u = net.connect(targetPort, targetHost);
    c.pipe(u).pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => resolve(server));
  });
}
