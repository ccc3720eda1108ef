// Swarm mode's settings, kept in DATA/cluster.json by `slipway cluster:init`: its presence is
// what switches Slipway's deploys from this host's engine to the swarm (read at start-up).
import { readFileSync } from 'node:fs';
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { writeAtomic } from '../proxy/saved-state.js';

const schema = z.object({
  engine: z.literal('swarm'),
  /** Short random id naming what this Slipway makes on the swarm (edge, secret, agent). */
  instance: z.string().regex(/^[a-z0-9]{6,12}$/),
  /** This host's address on the cluster network: the registry door and the agents' API. */
  addr: z.ipv4(),
  registryPort: z.number().int().min(1).max(65535),
  agentPort: z.number().int().min(1).max(65535),
  /** Slipway's image as the nodes pull it (cluster registry, by digest). */
  image: z.string().min(1),
  /** `host:port` the other machines join (the manager's swarm address). */
  managerAddr: z.string().min(1),
  /** SHA-256 of the secret the agents present (the secret itself is a Swarm secret). */
  agentSecretHash: z.string().regex(/^[0-9a-f]{64}$/),
  initializedAt: z.string(),
});

export type ClusterSettings = z.infer<typeof schema>;

export function loadClusterSettings(file: string): ClusterSettings | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new UserError(`${file} is not valid swarm settings (${parsed.error.issues.map((i) => i.path.join('.') + ': ' + i.message).join('; ')}); remove it to go back to one host`);
  return parsed.data;
}

export function saveClusterSettings(file: string, s: ClusterSettings): Promise<void> {
  return writeAtomic(file, JSON.stringify(schema.parse(s), null, 2) + '\n');
}

export function newAgentSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function agentSecretMatches(s: ClusterSettings, presented: string): boolean {
  const a = Buffer.from(hashSecret(presented), 'hex');
  const b = Buffer.from(s.agentSecretHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The registry as the nodes reach it. */
export const clusterRegistry = (s: Pick<ClusterSettings, 'addr' | 'registryPort'>) => `${s.addr}:${s.registryPort}`;

/** `127.0.0.1:5000/demo@sha256:…` → `10.0.0.5:5000/demo@sha256:…`: same image, the address nodes use. */
export function clusterRef(ref: string, registry: string, cluster: string): string {
  return ref.startsWith(`${registry}/`) ? `${cluster}/${ref.slice(registry.length + 1)}` : ref;
}
