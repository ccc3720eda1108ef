// The Docker Engine adapter for Swarm (on a manager's engine): the swarm itself (init, join
// tokens), nodes, services, their tasks and task logs, overlay networks and secrets.
import type Dockerode from 'dockerode';
import { UserError } from '../errors.js';
import { engineError } from './client.js';
import { demuxFrames } from './containers.js';

const status = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

export interface SwarmState {
  /** `inactive`, `pending`, `active`, `error`, `locked`. */
  localState: string;
  nodeId: string;
  /** The address this node advertises to the others. */
  nodeAddr: string;
  /** True on a manager. */
  manager: boolean;
}

export interface NodeInfo {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** `ready`, `down`, `unknown`, `disconnected`. */
  state: string;
  availability: 'active' | 'pause' | 'drain';
  addr: string;
  leader: boolean;
  labels: Record<string, string>;
  engine: string;
}

export interface TaskInfo {
  id: string;
  serviceId: string;
  slot: number;
  nodeId: string;
  /** Observed: new … preparing, starting, running, complete, failed, shutdown, rejected, orphaned, remove. */
  state: string;
  desiredState: string;
  message: string;
  err: string;
  exitCode: number | null;
  containerId: string;
  /** IPv4 address per network name. */
  addresses: Record<string, string>;
  updatedAt: string;
  createdAt?: string;
}

export interface ServiceInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  replicas: number | null;
}

/** The Swarm ServiceSpec body Slipway sends (built in src/cluster/service-spec.ts). */
export type ServiceSpecBody = Record<string, unknown> & { Name: string; Labels: Record<string, string> };

export class Swarm {
  constructor(readonly docker: Dockerode) {}

  async state(): Promise<SwarmState> {
    const info = (await this.docker.info().catch((e) => {
      throw engineError(e, 'cannot read the engine info');
    })) as { Swarm?: { LocalNodeState?: string; NodeID?: string; NodeAddr?: string; ControlAvailable?: boolean } };
    const s = info.Swarm ?? {};
    return { localState: s.LocalNodeState ?? 'inactive', nodeId: s.NodeID ?? '', nodeAddr: s.NodeAddr ?? '', manager: s.ControlAvailable === true };
  }

  async init(advertiseAddr: string | undefined): Promise<void> {
    const body: Record<string, unknown> = { ListenAddr: '0.0.0.0:2377' };
    if (advertiseAddr) body.AdvertiseAddr = advertiseAddr;
    await this.docker.swarmInit(body).catch((e) => {
      throw engineError(e, 'docker swarm init', true);
    });
  }

  async joinTokens(): Promise<{ worker: string; manager: string }> {
    const s = (await this.docker.swarmInspect().catch((e) => {
      throw engineError(e, 'cannot inspect the swarm');
    })) as { JoinTokens: { Worker: string; Manager: string } };
    return { worker: s.JoinTokens.Worker, manager: s.JoinTokens.Manager };
  }

  async nodes(): Promise<NodeInfo[]> {
    const list = (await this.docker.listNodes().catch((e) => {
      throw engineError(e, 'cannot list the swarm nodes');
    })) as RawNode[];
    return list.map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? '',
      role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
      state: n.Status?.State ?? 'unknown',
      availability: (n.Spec?.Availability ?? 'active') as NodeInfo['availability'],
      addr: n.ManagerStatus?.Addr?.replace(/:\d+$/, '') ?? n.Status?.Addr ?? '',
      leader: n.ManagerStatus?.Leader === true,
      labels: n.Spec?.Labels ?? {},
      engine: n.Description?.Engine?.EngineVersion ?? '',
    }));
  }

  async setAvailability(nodeId: string, availability: NodeInfo['availability']): Promise<void> {
    const node = this.docker.getNode(nodeId);
    const raw = (await node.inspect().catch((e) => {
      if (status(e) === 404) throw new UserError(`no node ${nodeId} in the swarm (see: slipway nodes)`, 404);
      throw engineError(e, `cannot inspect node ${nodeId}`);
    })) as RawNode & { Version: { Index: number } };
    await node.update({ version: raw.Version.Index, ...raw.Spec, Availability: availability }).catch((e: unknown) => {
      throw engineError(e, `cannot set node ${nodeId} to ${availability}`);
    });
  }

  /** Creates the service; one left by an interrupted attempt under the same name is replaced. */
  async createService(spec: ServiceSpecBody): Promise<string> {
    try {
      return ((await this.docker.createService(spec)) as { id?: string; ID?: string }).ID ?? '';
    } catch (e) {
      if (status(e) !== 409) throw engineError(e, `cannot create service ${spec.Name}`, true);
    }
    await this.removeService(spec.Name);
    const created = (await this.docker.createService(spec).catch((e) => {
      throw engineError(e, `cannot create service ${spec.Name}`, true);
    })) as { ID?: string };
    return created.ID ?? '';
  }

  /** Sets a replicated service's replicas; only Mode changes, so no task is replaced. */
  async scaleService(name: string, replicas: number): Promise<void> {
    const service = this.docker.getService(name);
    const raw = (await service.inspect().catch((e) => {
      if (status(e) === 404) throw new UserError(`no Swarm service ${name} (removed meanwhile?)`, 404);
      throw engineError(e, `cannot inspect service ${name}`);
    })) as { Version: { Index: number }; Spec: Record<string, unknown> & { Mode?: { Replicated?: { Replicas?: number } } } };
    if (!raw.Spec.Mode?.Replicated) throw new UserError(`service ${name} is not replicated; it cannot be scaled`);
    const spec = { ...raw.Spec, Mode: { Replicated: { Replicas: replicas } } };
    await service.update({ _query: { version: raw.Version.Index }, _body: spec } as unknown as Record<string, unknown>).catch((e: unknown) => {
      throw engineError(e, `cannot scale service ${name} to ${replicas}`, true);
    });
  }

  /** Removes the service (its tasks stop with their grace period); a missing one is fine. */
  async removeService(nameOrId: string): Promise<void> {
    await this.docker
      .getService(nameOrId)
      .remove()
      .catch((e) => {
        if (status(e) !== 404) throw engineError(e, `cannot remove service ${nameOrId}`);
      });
  }

  async services(labels: string[]): Promise<ServiceInfo[]> {
    const list = (await this.docker.listServices({ filters: { label: labels } } as Dockerode.ServiceListOptions).catch((e) => {
      throw engineError(e, 'cannot list services');
    })) as { ID: string; Spec: { Name: string; Labels?: Record<string, string>; Mode?: { Replicated?: { Replicas?: number } } } }[];
    return list.map((s) => ({ id: s.ID, name: s.Spec.Name, labels: s.Spec.Labels ?? {}, replicas: s.Spec.Mode?.Replicated?.Replicas ?? null }));
  }

  async tasks(filters: { service?: string[]; label?: string[]; 'desired-state'?: string[]; node?: string[] }): Promise<TaskInfo[]> {
    const list = (await this.docker.listTasks({ filters }).catch((e) => {
      throw engineError(e, 'cannot list tasks');
    })) as RawTask[];
    return list.map(toTask);
  }

  async task(id: string): Promise<TaskInfo | null> {
    try {
      return toTask((await this.docker.getTask(id).inspect()) as RawTask);
    } catch (e) {
      if (status(e) === 404) return null;
      throw engineError(e, `cannot inspect task ${id}`);
    }
  }

  /** The task's last `lines` lines of output, through the manager (from whichever node runs it). */
  async taskLogs(id: string, lines: number): Promise<string[]> {
    // dockerode has Task.logs; its types don't.
    const task = this.docker.getTask(id) as unknown as { logs(o: object): Promise<Buffer | string> };
    const buf = await task.logs({ stdout: true, stderr: true, tail: lines, follow: false });
    return demuxFrames(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))).split('\n').filter(Boolean);
  }

  /** An overlay network standalone containers may join too (one-offs, the edge). */
  async ensureOverlay(name: string, labels: Record<string, string>): Promise<void> {
    const existing = await this.docker
      .getNetwork(name)
      .inspect()
      .catch((e) => {
        if (status(e) === 404) return null;
        throw engineError(e, `cannot inspect network ${name}`);
      });
    if (existing) return;
    await this.docker.createNetwork({ Name: name, Driver: 'overlay', Attachable: true, CheckDuplicate: true, Labels: labels }).catch((e) => {
      if (status(e) !== 409) throw engineError(e, `cannot create network ${name}`);
    });
  }

  async removeNetwork(name: string): Promise<void> {
    await this.docker
      .getNetwork(name)
      .remove()
      .catch((e) => {
        if (status(e) !== 404) throw engineError(e, `cannot remove network ${name}`);
      });
  }

  /** Connects a container to a network; already connected is fine. */
  async connect(network: string, container: string): Promise<void> {
    await this.docker
      .getNetwork(network)
      .connect({ Container: container })
      .catch((e) => {
        const message = String((e as { json?: { message?: string } }).json?.message ?? (e as Error).message);
        // 403 "endpoint … already exists", or 500 "… is already attached to network" (20.10).
        if (/already exists|already attached/.test(message)) return;
        throw engineError(e, `cannot connect ${container} to ${network}`);
      });
  }

  /** Creates the secret unless one of that name exists (secrets are immutable). */
  async ensureSecret(name: string, data: string, labels: Record<string, string>): Promise<string> {
    const found = (await this.docker.listSecrets({ filters: { name: [name] } }).catch((e) => {
      throw engineError(e, 'cannot list secrets');
    })) as { ID: string; Spec: { Name: string } }[];
    const same = found.find((s) => s.Spec.Name === name);
    if (same) return same.ID;
    const created = (await this.docker.createSecret({ Name: name, Labels: labels, Data: Buffer.from(data).toString('base64') }).catch((e) => {
      throw engineError(e, `cannot create secret ${name}`);
    })) as { id?: string; ID?: string };
    return created.ID ?? created.id ?? '';
  }
}

interface RawNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string };
}

interface RawTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  UpdatedAt: string;
  CreatedAt?: string;
  Status: { State: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses?: string[] }[];
}

function toTask(t: RawTask): TaskInfo {
  const addresses: Record<string, string> = {};
  for (const a of t.NetworksAttachments ?? []) {
    const ip = a.Addresses?.[0]?.split('/')[0];
    if (ip) addresses[a.Network.Spec.Name] = ip;
  }
  const cs = t.Status.ContainerStatus;
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    slot: t.Slot ?? 0,
    nodeId: t.NodeID ?? '',
    state: t.Status.State,
    desiredState: t.DesiredState,
    message: t.Status.Message ?? '',
    err: t.Status.Err ?? '',
    exitCode: cs?.ExitCode ?? null,
    containerId: cs?.ContainerID ?? '',
    addresses,
    updatedAt: t.UpdatedAt,
    ...(t.CreatedAt ? { createdAt: t.CreatedAt } : {}),
  };
}
