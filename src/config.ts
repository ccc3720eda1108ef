// Slipway's one typed configuration: environment variables over an optional JSON file over
// defaults. An invalid value stops start-up with a message naming the variable.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.js';

const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', ''])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
/** `90s`, `5m`, `24h`, `7d` or a string of seconds → milliseconds; a number is already ms (what
 *  Config holds, so a parsed config can be passed back in as overrides). */
const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? (Number.isFinite(v) && v >= 0 ? v : null) : parseDurationMs(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'a duration such as 500ms, 30s, 5m, 24h or 7d' });
    return z.NEVER;
  }
  return ms;
});

/** `500ms`, `30s`, `5m`, `24h`, `7d`, or a number of seconds → milliseconds; null when invalid. */
export function parseDurationMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1000 : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(v));
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

// HTTPS: TLS on HAProxy, custom domains' certificates (src/certs/).
const tlsSchema = {
  /** Host port HAProxy terminates TLS on; 0 turns HTTPS (and ACME) off. */
  httpsPort: port,
  /** Serve Slipway's API and webhooks on this domain too, over HTTPS with an ACME certificate. */
  apiDomain: z.string().regex(/^[a-z0-9.-]+$/, 'a domain name such as slipway.example.com').optional(),
  /** ACME directory; default Let's Encrypt production, or staging with acmeStaging. */
  acmeDirectory: z.string().url().optional(),
  acmeStaging: bool,
  /** Contact the CA writes to about the account (optional for Let's Encrypt). */
  acmeEmail: z.string().email().optional(),
  /** CA bundle trusted for the ACME directory's own HTTPS (a private CA such as step-ca). */
  acmeCaFile: z.string().optional(),
  /** ACME for every app's domains unless the app says otherwise; default: on when acmeEmail is set. */
  certsAuto: bool.optional(),
  /** HTTP → HTTPS redirect and HSTS for every app with a certificate, unless its config says
   *  SLIPWAY_HTTPS_REDIRECT=0. */
  httpsRedirect: bool,
  /** Where HAProxy reads certificates in clear: a tmpfs (memory), never the disk. Default
   *  /dev/shm/slipway-tls-HASH (HASH from the data dir, so two installs never share it). */
  tlsRuntimeDir: z.string().optional(),
};
const TLS_ENV = {
  httpsPort: 'SLIPWAY_HTTPS_PORT',
  apiDomain: 'SLIPWAY_API_DOMAIN',
  acmeDirectory: 'SLIPWAY_ACME_DIRECTORY',
  acmeStaging: 'SLIPWAY_ACME_STAGING',
  acmeEmail: 'SLIPWAY_ACME_EMAIL',
  acmeCaFile: 'SLIPWAY_ACME_CA_FILE',
  certsAuto: 'SLIPWAY_CERTS_AUTO',
  httpsRedirect: 'SLIPWAY_HTTPS_REDIRECT',
  tlsRuntimeDir: 'SLIPWAY_TLS_RUNTIME_DIR',
} as const;
const TLS_DEFAULTS = { httpsPort: 443, acmeStaging: false, httpsRedirect: false };

const schema = z.object({
  dataDir: z.string().min(1),
  host: z.string().min(1),
  port,
  /** Host port HAProxy serves the apps on. */
  httpPort: port,
  appsDomain: z.string().regex(/^[a-z0-9.-]+$/, 'a domain name such as apps.example.com'),
  /** Public base URL of the API, used in the git remote line. */
  publicUrl: z.string().url().optional(),
  registry: z.string().regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, 'host:port of the Docker registry'),
  /** With no password in it, the password from `redisPasswordFile` is added when loading. */
  redisUrl: z.string().url(),
  /** Redis's password, written 0600 by scripts/infra.sh (default: the install's DATA/redis.password). */
  redisPasswordFile: z.string().min(1).optional(),
  dockerSocket: z.string().min(1),
  /** Prefix for every BullMQ queue, so tests and installs sharing a Redis don't meet. */
  queuePrefix: z.string().regex(/^[a-zA-Z0-9_-]+$/),
  logLevel: z.enum(['error', 'warn', 'info', 'debug']),
  /** Extra CA bundle trusted inside builds (corporate proxy, private npm registry). */
  buildCaFile: z.string().optional(),
  allowFileRepos: bool,
  allowHostBinds: bool,
  allowPrivileged: bool,
  /** Map a Dockerfile app's EXPOSEd TCP ports to the same host ports (ports plugin). */
  exposePorts: bool,
  haproxyBin: z.string().min(1),
  /** Seconds the old color keeps serving in-flight requests after a switch. */
  drainSeconds: z.coerce.number().min(0).max(3600),
  healthTimeoutSeconds: z.coerce.number().min(1).max(3600),
  /** The most any health wait may take, whatever app.json or compose declare. */
  healthMaxSeconds: z.coerce.number().min(1).max(86400),
  /** How long a service without a health check must stay up to count as started. */
  settleSeconds: z.coerce.number().min(0).max(600),
  /** Deadline of a whole deploy attempt; at it the work is stopped and the deploy fails. */
  deployTimeoutSeconds: z.coerce.number().min(1).max(7 * 86400),
  /** Bound of the image build (also capped by the deploy's deadline). */
  buildTimeoutSeconds: z.coerce.number().min(1).max(7 * 86400),
  /** Bound of each one-off command: Procfile `release`, app.json predeploy and postdeploy. */
  releaseTimeoutSeconds: z.coerce.number().min(1).max(7 * 86400),
  lokiUrl: z.string().url().optional(),
  /** API root for commit statuses when the one derived from the repository URL is wrong
   *  (GitHub Enterprise or GitLab behind another host; a local fake in tests). */
  statusApiUrl: z.string().url().optional(),
  logRetentionDays: z.coerce.number().min(0),
  logRetentionMb: z.coerce.number().min(1),
  /** Swarm mode: the Docker socket of the swarm manager Slipway drives (default: dockerSocket). */
  clusterSocket: z.string().min(1).optional(),
  /** Swarm mode: this host's address on the cluster network, where nodes reach the registry and
   *  the agents reach Slipway (default: the manager's advertised address). */
  clusterAddr: z.ipv4().optional(),
  clusterRegistryPort: port,
  clusterAgentPort: port,
  /** Slipway's own image in its registry, run by the node agents and the edge (`REGISTRY/slipway:TAG`). */
  agentImage: z.string().min(1),
  /** A failed job attempt is retried after base·2^(n-1) ms, capped (10 s, 20 s, 40 s … 6 min). */
  jobBackoffMs: z.coerce.number().min(0),
  jobBackoffMaxMs: z.coerce.number().min(0),
  /** Seconds between two samples of every container and of HAProxy's counters. */
  metricsInterval: z.coerce.number().min(0.1).max(3600),
  /** How long raw samples are kept (`24h`). */
  metricsRawRetention: duration,
  /** Downsampled tiers, `BUCKET:KEEP` comma-separated (`1m:7d,10m:30d`). */
  metricsRollups: z.string().regex(/^\s*\d+(\.\d+)?(ms|s|m|h|d):\d+(\.\d+)?(ms|s|m|h|d)\s*(,\s*\d+(\.\d+)?(ms|s|m|h|d):\d+(\.\d+)?(ms|s|m|h|d)\s*)*$/, 'BUCKET:KEEP pairs such as 1m:7d,10m:30d'),
  /** Upper bound of the metrics database; the oldest samples go first beyond it. */
  metricsMaxMb: z.coerce.number().min(1),
  /** GET /metrics without the admin token (Slipway then must listen on loopback only). */
  metricsPublic: bool,
  /** Port HAProxy sends its access log to on 127.0.0.1 (response-time percentiles); 0 picks one. */
  haproxyLogPort: port,
  /** The autoscaler: how often it looks, over what window each look averages, how many looks in a
   *  row must be beyond a limit, the pause after a change, and how long scale-in must hold. */
  autoscaleInterval: duration,
  autoscaleWindow: duration,
  autoscaleSamples: z.coerce.number().int().min(1).max(100),
  autoscaleCooldown: duration,
  autoscaleStabilization: duration,
  /** The dashboard's built files (Vite's output of ui/). */
  uiDir: z.string().min(1),
  ...tlsSchema,
  /** Each app's share of the log store, unless the app sets its own (apps:log-retention). */
  appLogRetentionMb: z.coerce.number().min(1),
  /** Largest `git push` pack and `slipway deploy` upload accepted (git's receive.maxInputSize). */
  maxPushMb: z.coerce.number().min(1),
  /** Seconds a request has to send its headers and body before it is authenticated (webhooks,
   *  git before its token is checked); authenticated pushes and uploads have no limit. */
  unauthenticatedTimeoutSeconds: z.coerce.number().min(1).max(3600),
  /** Releases kept per app (with their images, build logs and deploy outputs). */
  keepReleases: z.coerce.number().int().min(1),
  /** The registry's own config file: when set, Slipway runs its garbage collection. */
  registryConfig: z.string().optional(),
  registryBin: z.string().min(1),
});

export type Config = z.infer<typeof schema>;

/** Env variable for each key: what users set and what error messages name. */
const ENV: Record<keyof Config, string> = {
  dataDir: 'SLIPWAY_DATA',
  host: 'SLIPWAY_HOST',
  port: 'SLIPWAY_PORT',
  httpPort: 'SLIPWAY_HTTP_PORT',
  appsDomain: 'SLIPWAY_APPS_DOMAIN',
  publicUrl: 'SLIPWAY_PUBLIC_URL',
  registry: 'SLIPWAY_REGISTRY',
  redisUrl: 'SLIPWAY_REDIS_URL',
  redisPasswordFile: 'SLIPWAY_REDIS_PASSWORD_FILE',
  dockerSocket: 'SLIPWAY_DOCKER_SOCKET',
  queuePrefix: 'SLIPWAY_QUEUE_PREFIX',
  logLevel: 'SLIPWAY_LOG_LEVEL',
  buildCaFile: 'SLIPWAY_BUILD_CA_FILE',
  allowFileRepos: 'SLIPWAY_ALLOW_FILE_REPOS',
  allowHostBinds: 'SLIPWAY_ALLOW_HOST_BINDS',
  allowPrivileged: 'SLIPWAY_ALLOW_PRIVILEGED',
  exposePorts: 'SLIPWAY_EXPOSE_PORTS',
  haproxyBin: 'SLIPWAY_HAPROXY_BIN',
  drainSeconds: 'SLIPWAY_DRAIN_SECONDS',
  healthTimeoutSeconds: 'SLIPWAY_HEALTH_TIMEOUT',
  healthMaxSeconds: 'SLIPWAY_HEALTH_MAX',
  settleSeconds: 'SLIPWAY_SETTLE_SECONDS',
  deployTimeoutSeconds: 'SLIPWAY_DEPLOY_TIMEOUT',
  buildTimeoutSeconds: 'SLIPWAY_BUILD_TIMEOUT',
  releaseTimeoutSeconds: 'SLIPWAY_RELEASE_TIMEOUT',
  lokiUrl: 'SLIPWAY_LOKI_URL',
  statusApiUrl: 'SLIPWAY_STATUS_API_URL',
  logRetentionDays: 'SLIPWAY_LOG_RETENTION_DAYS',
  logRetentionMb: 'SLIPWAY_LOG_RETENTION_MB',
  clusterSocket: 'SLIPWAY_CLUSTER_SOCKET',
  clusterAddr: 'SLIPWAY_CLUSTER_ADDR',
  clusterRegistryPort: 'SLIPWAY_CLUSTER_REGISTRY_PORT',
  clusterAgentPort: 'SLIPWAY_CLUSTER_AGENT_PORT',
  agentImage: 'SLIPWAY_AGENT_IMAGE',
  jobBackoffMs: 'SLIPWAY_JOB_BACKOFF_MS',
  jobBackoffMaxMs: 'SLIPWAY_JOB_BACKOFF_MAX_MS',
  metricsInterval: 'SLIPWAY_METRICS_INTERVAL',
  metricsRawRetention: 'SLIPWAY_METRICS_RAW_RETENTION',
  metricsRollups: 'SLIPWAY_METRICS_ROLLUPS',
  metricsMaxMb: 'SLIPWAY_METRICS_MAX_MB',
  metricsPublic: 'SLIPWAY_METRICS_PUBLIC',
  haproxyLogPort: 'SLIPWAY_HAPROXY_LOG_PORT',
  autoscaleInterval: 'SLIPWAY_AUTOSCALE_INTERVAL',
  autoscaleWindow: 'SLIPWAY_AUTOSCALE_WINDOW',
  autoscaleSamples: 'SLIPWAY_AUTOSCALE_SAMPLES',
  autoscaleCooldown: 'SLIPWAY_AUTOSCALE_COOLDOWN',
  autoscaleStabilization: 'SLIPWAY_AUTOSCALE_STABILIZATION',
  uiDir: 'SLIPWAY_UI_DIR',
  ...TLS_ENV,
  appLogRetentionMb: 'SLIPWAY_APP_LOG_RETENTION_MB',
  maxPushMb: 'SLIPWAY_MAX_PUSH_MB',
  unauthenticatedTimeoutSeconds: 'SLIPWAY_UNAUTHENTICATED_TIMEOUT',
  keepReleases: 'SLIPWAY_KEEP_RELEASES',
  registryConfig: 'SLIPWAY_REGISTRY_CONFIG',
  registryBin: 'SLIPWAY_REGISTRY_BIN',
};

const DEFAULTS: Record<string, unknown> = {
  dataDir: '/var/lib/slipway',
  host: '127.0.0.1',
  port: 7100,
  httpPort: 80,
  appsDomain: 'localhost',
  registry: '127.0.0.1:5000',
  redisUrl: 'redis://127.0.0.1:6379',
  dockerSocket: '/var/run/docker.sock',
  queuePrefix: 'slipway',
  logLevel: 'info',
  allowFileRepos: false,
  allowHostBinds: false,
  allowPrivileged: false,
  exposePorts: false,
  haproxyBin: 'haproxy',
  drainSeconds: 30,
  healthTimeoutSeconds: 60,
  healthMaxSeconds: 600,
  settleSeconds: 3,
  deployTimeoutSeconds: 1800,
  buildTimeoutSeconds: 1200,
  releaseTimeoutSeconds: 600,
  logRetentionDays: 14,
  logRetentionMb: 1024,
  clusterRegistryPort: 5000,
  clusterAgentPort: 7101,
  agentImage: '127.0.0.1:5000/slipway:latest',
  jobBackoffMs: 10_000,
  jobBackoffMaxMs: 360_000,
  metricsInterval: 10,
  metricsRawRetention: '24h',
  metricsRollups: '1m:7d,10m:30d',
  metricsMaxMb: 512,
  metricsPublic: false,
  haproxyLogPort: 0,
  autoscaleInterval: '1m',
  autoscaleWindow: '1m',
  autoscaleSamples: 3,
  autoscaleCooldown: '3m',
  autoscaleStabilization: '5m',
  // ui/dist beside src/ (and beside dist/ when compiled): both are one level below the root.
  uiDir: path.resolve(import.meta.dirname, '../ui/dist'),
  ...TLS_DEFAULTS,
  appLogRetentionMb: 256,
  maxPushMb: 1024,
  unauthenticatedTimeoutSeconds: 30,
  keepReleases: 10,
  registryBin: 'docker-registry',
};

/**
 * Loads the config: defaults, then the JSON file named by SLIPWAY_CONFIG (or
 * DATA/config.json when present), then environment variables. Throws a UserError naming
 * every invalid setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = { ...DEFAULTS };
  const dataDir = env.SLIPWAY_DATA || overrides.dataDir || (DEFAULTS.dataDir as string);
  const file = env.SLIPWAY_CONFIG || path.join(dataDir, 'config.json');
  Object.assign(raw, readConfigFile(file, Boolean(env.SLIPWAY_CONFIG)));
  for (const [key, name] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  Object.assign(raw, overrides);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof Config;
      return `${ENV[key] ?? key} (${key}): ${i.message}; got ${JSON.stringify(raw[key])}`;
    });
    throw new UserError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  // The password file is the install's (SLIPWAY_DATA in the environment), not a data dir given
  // in code: a test's own data dir still talks to the machine's Redis.
  const passwordFile = parsed.data.redisPasswordFile ?? path.join(env.SLIPWAY_DATA || (DEFAULTS.dataDir as string), 'redis.password');
  return { ...parsed.data, redisUrl: withRedisPassword(parsed.data.redisUrl, passwordFile) };
}

/** The Redis URL the environment names (as loadConfig reads it), with its password: for tests
 *  and benches that talk to Redis without a whole config. */
export function redisUrlFrom(env: NodeJS.ProcessEnv = process.env): string {
  const dataDir = env.SLIPWAY_DATA || (DEFAULTS.dataDir as string);
  return withRedisPassword(env.SLIPWAY_REDIS_URL || (DEFAULTS.redisUrl as string), env.SLIPWAY_REDIS_PASSWORD_FILE || path.join(dataDir, 'redis.password'));
}

/** `url` with the password read from `file` when it has none; unchanged when there is no file
 *  (a Redis set up without one). An unreadable file is an error naming it. */
export function withRedisPassword(url: string, file: string): string {
  const u = new URL(url);
  if (u.password) return url;
  let password: string;
  try {
    password = readFileSync(file, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return url;
    throw new UserError(`cannot read Redis's password from ${file} (SLIPWAY_REDIS_PASSWORD_FILE): ${(e as Error).message}`);
  }
  if (!password) return url;
  u.password = encodeURIComponent(password);
  return u.toString();
}

function readConfigFile(file: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UserError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not an object');
    return doc as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`config file ${file} is not a JSON object: ${(e as Error).message}`);
  }
}

/** Where the API and webhooks are reached from outside: SLIPWAY_PUBLIC_URL, else HTTPS on
 *  SLIPWAY_API_DOMAIN, else the address the server listens on. */
export function publicApiUrl(config: Config): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  if (config.apiDomain && config.httpsPort) return `https://${config.apiDomain}${config.httpsPort === 443 ? '' : `:${config.httpsPort}`}`;
  return `http://${config.host}:${config.port}`;
}

/** Paths inside the data dir, in one place. */
export function dataPaths(config: Config) {
  const d = config.dataDir;
  return {
    stateDb: path.join(d, 'state.db'),
    logsDb: path.join(d, 'logs.db'),
    metricsDb: path.join(d, 'metrics.db'),
    adminToken: path.join(d, 'admin-token'),
    repos: path.join(d, 'repos'),
    mirrors: path.join(d, 'mirrors'),
    builds: path.join(d, 'builds'),
    haproxy: path.join(d, 'haproxy'),
    run: path.join(d, 'run'),
    secretKey: path.join(d, 'secret.key'),
    /** Written by `slipway cluster:init`: its presence switches deploys to the swarm. */
    cluster: path.join(d, 'cluster.json'),
    /** Certificates and ACME account keys, sealed with secret.key. */
    certs: path.join(d, 'certs'),
    /** The clear copies HAProxy loads, in memory (see tlsRuntimeDir). */
    tlsRuntime: config.tlsRuntimeDir ?? path.join('/dev/shm', `slipway-tls-${createHash('sha256').update(path.resolve(d)).digest('hex').slice(0, 12)}`),
    /** Where scripts/infra.sh writes the registry's config (used for its garbage collection). */
    registryConfig: path.join(d, 'registry', 'config.yml'),
    /** Digests of the seeded base images (scripts/base-images.sh writes it). */
    baseImages: path.join(d, 'base-images.json'),
  };
}
