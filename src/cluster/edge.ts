// The edge: a small container on the manager, joined to every app's overlay network, whose
// network namespace HAProxy (a host process, as on one host) enters to reach task addresses.
// HAProxy finds a namespace by name under /var/run/netns, so the edge's namespace is linked
// there; the link is renewed when the container is recreated or restarted (a new namespace),
// and HAProxy must then reload to reopen it.
import { mkdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { Containers } from '../docker/containers.js';
import type { Swarm } from '../docker/swarm.js';
import { LOG_CONFIG, type ContainerCreateSpec } from '../deploy/container-spec.js';

export const NETNS_DIR = '/var/run/netns';

export interface EdgeOptions {
  containers: Containers;
  swarm: Swarm;
  /** Makes the image present on the manager. */
  pull(image: string): Promise<void>;
  /** Container name, e.g. `slipway-edge-ab12cd`; also the namespace's name under /var/run/netns. */
  name: string;
  /** Slipway's image, as the manager pulls it; the edge only sleeps. */
  image: string;
}

export class Edge {
  constructor(private readonly opts: EdgeOptions) {}

  get namespace(): string {
    return this.opts.name;
  }

  /** Makes the edge run and its namespace linked; `relinked` when HAProxy must reopen it. */
  async ensure(): Promise<{ relinked: boolean }> {
    const spec: ContainerCreateSpec = {
      name: this.opts.name,
      Image: this.opts.image,
      Entrypoint: ['sleep', 'infinity'],
      Cmd: [],
      Env: [],
      Labels: { 'slipway.edge': this.opts.name },
      HostConfig: {
        NetworkMode: 'bridge',
        RestartPolicy: { Name: 'unless-stopped' },
        Init: true,
        Mounts: [],
        LogConfig: { Type: LOG_CONFIG.Type, Config: { ...LOG_CONFIG.Config } },
      },
    };
    // Checked every second by the follower: the image is pulled only when the edge is made.
    const pid = await this.opts.containers.ensureRunning(spec).catch(async (e: Error) => {
      if (!/no such image/i.test(e.message)) throw e;
      await this.opts.pull(this.opts.image);
      return this.opts.containers.ensureRunning(spec);
    });
    const target = `/proc/${pid}/ns/net`;
    const link = path.join(NETNS_DIR, this.opts.name);
    if ((await readlink(link).catch(() => null)) === target) return { relinked: false };
    await mkdir(NETNS_DIR, { recursive: true });
    await rm(`${link}.new`, { force: true });
    await symlink(target, `${link}.new`);
    await rename(`${link}.new`, link);
    return { relinked: true };
  }

  /** Joins an app's overlay (idempotent). */
  attach(network: string): Promise<void> {
    return this.opts.swarm.connect(network, this.opts.name);
  }

  /** Removes the container and the link (tests; leaving swarm mode). */
  async remove(): Promise<void> {
    await this.opts.containers.removeContainer(this.opts.name);
    await rm(path.join(NETNS_DIR, this.opts.name), { force: true });
  }
}
