// The node agents as a Swarm service (pure): Slipway's own image running `slipway agent` on
// every node (global mode), on the node's network (it only calls out, to the agent API on
// Slipway's cluster address), reading its node's engine, log volumes, cgroup files and /proc,
// with the agents' secret mounted from a Swarm secret.
import type { ServiceSpecBody } from '../docker/swarm.js';
import { LOG_CONFIG } from '../deploy/container-spec.js';
import type { ClusterSettings } from './settings.js';

export const AGENT_LABEL = 'slipway.agent';
export const agentServiceName = (s: Pick<ClusterSettings, 'instance'>) => `slipway-agent-${s.instance}`;
export const agentSecretName = (s: Pick<ClusterSettings, 'instance'>) => `slipway-agent-${s.instance}`;

/** Where the agent sees the host's /proc and /sys/fs/cgroup (metrics), read-only. */
export const HOST_ROOT = '/host';

/** Where Docker keeps named volumes on the nodes (the default data-root). */
export const VOLUMES_DIR = '/var/lib/docker/volumes';

export function agentServiceSpec(s: ClusterSettings, secretId: string, metricsIntervalSeconds: number): ServiceSpecBody {
  const labels = { [AGENT_LABEL]: s.instance };
  return {
    Name: agentServiceName(s),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: s.image,
        Args: ['agent'],
        Env: [
          `SLIPWAY_AGENT_URL=http://${s.addr}:${s.agentPort}`,
          'SLIPWAY_AGENT_SECRET_FILE=/run/secrets/slipway-agent',
          'SLIPWAY_NODE={{.Node.Hostname}}',
          `SLIPWAY_METRICS_INTERVAL=${metricsIntervalSeconds}`,
        ],
        Labels: labels,
        Init: true,
        Mounts: [
          { Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock', ReadOnly: false },
          // Log files are read where the volumes live; the path inside is the same as the
          // engine reports, so a volume's Mountpoint opens as is.
          { Type: 'bind', Source: VOLUMES_DIR, Target: VOLUMES_DIR, ReadOnly: true },
          // Metrics: the tasks' cgroup files and their inits' /proc entries (cgroup, net/dev).
          { Type: 'bind', Source: '/proc', Target: `${HOST_ROOT}/proc`, ReadOnly: true },
          { Type: 'bind', Source: '/sys/fs/cgroup', Target: `${HOST_ROOT}/sys/fs/cgroup`, ReadOnly: true },
        ],
        Secrets: [{ SecretID: secretId, SecretName: agentSecretName(s), File: { Name: 'slipway-agent', UID: '0', GID: '0', Mode: 0o400 } }],
      },
      RestartPolicy: { Condition: 'any', Delay: 2e9 },
      Networks: [{ Target: 'host' }],
      LogDriver: { Name: LOG_CONFIG.Type, Options: { ...LOG_CONFIG.Config } },
    },
    Mode: { Global: {} },
  };
}
