// The agent's metrics: the metrics stage's own collector, run on the agent's node over the
// Slipway containers that run there for the swarm (`slipway.engine=swarm`), posting each sample's
// rows to the server's agent API instead of a store. It reads the host's cgroup files and /proc,
// which the agent service mounts read-only at /host/…; where a container's cgroup can't be found
// there (an unknown layout, a cgroup namespace hiding the paths) the collector asks the node's
// engine for that container's stats instead. The server samples no swarm container itself, so a
// task on the manager's node is sampled once, by the manager's agent.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDocker } from '../../docker/client.js';
import { Containers } from '../../docker/containers.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { CgroupReader, type CgroupRoots } from '../../metrics/cgroup-reader.js';
import { Collector } from '../../metrics/collector.js';
import type { MetricsSample } from './wire.js';

export interface AgentMetricsOptions {
  dockerSocket: string;
  roots: CgroupRoots;
  intervalMs: number;
  post(samples: MetricsSample[]): Promise<void>;
  logger: Logger;
}

/** Samples not yet accepted by the server are kept (up to this many) and sent with the next. */
const MAX_PENDING = 60;

export function startAgentMetrics(o: AgentMetricsOptions): { stop(): Promise<void> } {
  const containers = new Containers(createDocker({ dockerSocket: o.dockerSocket }));
  let pending: MetricsSample[] = [];
  let sending: Promise<void> = Promise.resolve();
  const send = async () => {
    const batch = pending;
    try {
      await o.post(batch);
      pending = pending.slice(batch.length);
    } catch (e) {
      o.logger.debug('metrics: cannot reach Slipway; keeping the samples for the next try', { error: errorMessage(e), pending: pending.length });
    }
  };
  const collector = new Collector({
    ports: {
      listContainers: async () => (await containers.listContainers()).filter((c) => c.onSwarm),
      runtime: (id) => containers.runtime(id),
      statsOnce: (id) => containers.statsOnce(id),
      backendStats: async () => [],
    },
    reader: new CgroupReader(o.roots),
    store: {
      insert: (ts, rows) => {
        if (!rows.length) return;
        pending.push({ ts, rows });
        if (pending.length > MAX_PENDING) pending = pending.slice(-MAX_PENDING);
        sending = sending.then(send);
      },
      maintain: () => undefined,
    },
    intervalMs: o.intervalMs,
    logger: o.logger,
    // Says once where the figures come from (the cgroup files, or the engine's stats).
    onSampled: () => {
      const read = collector.snapshot().containers;
      if (told || !read.length) return;
      told = true;
      o.logger.info('metrics: sampling this node\'s containers', { containers: read.length, fromCgroups: read.filter((c) => c.source === 'cgroup').length });
    },
  });
  let told = false;
  collector.start();
  return {
    async stop() {
      await collector.stop();
      await Promise.race([sending, sleep(5000)]);
    },
  };
}
