// The node agent (`slipway agent`), run by Slipway's own image as a global Swarm service: on
// its node it ships the stdout/stderr and declared log files of every container that runs on
// the swarm for Slipway (one-offs on the manager too), with the same shippers as the server,
// to the server's agent API, authenticated by the secret Swarm mounts into it; and it samples
// their CPU, memory, I/O and network for the metrics store (./metrics.ts). It resumes from
// the checkpoints the server holds, so a restart of either side loses or repeats no line.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABELS } from '../../domain.js';
import { createDocker } from '../../docker/client.js';
import { DockerLogs } from '../../docker/logs.js';
import { errorMessage } from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import type { ContainerCheckpoint, FileCheckpoint } from '../../logs/entry.js';
import { ContainerFollower } from '../../logs/follower.js';
import type { ShippedContainer } from '../../logs/ports.js';
import type { ShipperDeps } from '../../logs/shipper.js';
import { taskLogFiles } from './log-files.js';
import type { WriteItem } from '../../logs/writer.js';
import { Sender } from './sender.js';
import { decodeCheckpoint, type WireCheckpoint } from './wire.js';
import { startAgentMetrics } from './metrics.js';
import type { CgroupRoots } from '../../metrics/cgroup-reader.js';
import { HOST_ROOT } from '../agent-service.js';

export interface AgentOptions {
  /** `http://ADDR:PORT` of the server's agent API. */
  url: string;
  secret: string;
  dockerSocket: string;
  /** The host's cgroup files and /proc, mounted read-only (metrics). */
  roots: CgroupRoots;
  metricsIntervalMs: number;
  logger: Logger;
  signal: AbortSignal;
}

/** Reads its settings from the environment the agent service sets, and runs until SIGTERM. */
export async function agentMain(env = process.env): Promise<void> {
  const logger = createLogger(env.SLIPWAY_LOG_LEVEL ?? 'info', true);
  const secretFile = env.SLIPWAY_AGENT_SECRET_FILE ?? '/run/secrets/slipway-agent';
  const url = env.SLIPWAY_AGENT_URL;
  if (!url) throw new Error('SLIPWAY_AGENT_URL is not set (the agent runs as the service cluster:init makes)');
  const abort = new AbortController();
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => abort.abort());
  logger.info('slipway agent starting', { node: env.SLIPWAY_NODE, url });
  await runAgent({
    url,
    secret: readFileSync(secretFile, 'utf8').trim(),
    dockerSocket: env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock',
    roots: { cgroupRoot: env.SLIPWAY_HOST_CGROUP ?? `${HOST_ROOT}/sys/fs/cgroup`, procRoot: env.SLIPWAY_HOST_PROC ?? `${HOST_ROOT}/proc` },
    metricsIntervalMs: Number(env.SLIPWAY_METRICS_INTERVAL ?? 10) * 1000,
    logger,
    signal: abort.signal,
  });
}

export async function runAgent(o: AgentOptions): Promise<void> {
  const api = agentClient(o.url, o.secret);
  const containers = new Map<string, ContainerCheckpoint>();
  const files = new Map<string, Map<string, FileCheckpoint>>();
  const run = randomUUID();
  const sender = new Sender({
    post: (items) => api('/agent/logs', { run, items }),
    committed: (items) => remember(items, containers, files),
    logger: o.logger,
  });
  const shipper: ShipperDeps = {
    source: new DockerLogs(createDocker({ dockerSocket: o.dockerSocket })),
    logger: o.logger,
    write: (item) => sender.write(item),
    flush: () => sender.flush(),
    containerCheckpoint: (id) => containers.get(id) ?? null,
    fileCheckpoints: (volume) => [...(files.get(volume)?.values() ?? [])],
    filePollMs: 500,
    logFiles: taskLogFiles,
  };
  /** Fetched once per container before it is shipped; kept current by what the server commits. */
  const wants = async (c: ShippedContainer): Promise<boolean> => {
    const volumes = taskLogFiles(c).map((m) => m.volume);
    for (let attempt = 0; !o.signal.aborted; attempt++) {
      try {
        const cp = await api<{ containers: WireCheckpoint[]; files: FileCheckpoint[] }>('/agent/checkpoints', { containers: [c.id], volumes });
        for (const k of cp.containers) containers.set(k.container, decodeCheckpoint(k));
        for (const f of cp.files) (files.get(f.volume) ?? files.set(f.volume, new Map()).get(f.volume)!).set(f.inode, f);
        return c.running || !containers.get(c.id)?.done;
      } catch (e) {
        o.logger.warn('cannot reach Slipway for checkpoints; retrying', { container: c.name, error: errorMessage(e) });
        await sleep(Math.min(10_000, 500 * 2 ** attempt), undefined, { signal: o.signal }).catch(() => undefined);
      }
    }
    return false;
  };
  const metrics = startAgentMetrics({ dockerSocket: o.dockerSocket, roots: o.roots, intervalMs: o.metricsIntervalMs, post: (samples) => api('/agent/metrics', { samples }), logger: o.logger });
  const follower = new ContainerFollower({ source: shipper.source, label: `${LABELS.engine}=swarm`, logger: o.logger, wants, shipper: () => shipper }, o.signal);
  await follower.start();
  await new Promise<void>((resolve) => (o.signal.aborted ? resolve() : o.signal.addEventListener('abort', () => resolve(), { once: true })));
  await follower.stopped();
  await metrics.stop();
  // What is queued goes out if the server answers soon; else the next run ships it again.
  await Promise.race([sender.flush(), sleep(5000)]);
  sender.stop();
}

function remember(items: WriteItem[], containers: Map<string, ContainerCheckpoint>, files: Map<string, Map<string, FileCheckpoint>>): void {
  for (const i of items) {
    if (i.container) containers.set(i.container.container, i.container);
    if (i.file) (files.get(i.file.volume) ?? files.set(i.file.volume, new Map()).get(i.file.volume)!).set(i.file.inode, i.file);
    if (i.fileGone) files.get(i.fileGone.volume)?.delete(i.fileGone.inode);
  }
}

/** POSTs JSON to the agent API with the secret; throws on anything but 2xx. */
function agentClient(url: string, secret: string) {
  return async <T = unknown>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  };
}

