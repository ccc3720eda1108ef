// Slipway's own rules for compose files, narrower than the Compose Specification: which keys it
// runs, which it refuses and why, and which need the operator's permission. A key Slipway can't
// honour is refused by name, never silently ignored.
import type { KeyPath, Problems } from './compose-source.js';

/** Service keys Slipway runs (see compose-service.ts for what each becomes). */
export const SERVICE_KEYS = [
  'build', 'image', 'command', 'entrypoint', 'environment', 'ports', 'expose', 'volumes', 'healthcheck',
  'depends_on', 'deploy', 'scale', 'cpu_shares', 'cpus', 'mem_limit', 'restart', 'labels',
  'stop_grace_period', 'working_dir', 'user', 'init', 'env_file',
] as const;

/** Keys that give a container power over the host: honoured only with SLIPWAY_ALLOW_PRIVILEGED=1. */
export const PRIVILEGED_KEYS = ['privileged', 'cap_add', 'pid', 'network_mode'] as const;

export const ALLOW_PRIVILEGED_HINT = 'not allowed (set SLIPWAY_ALLOW_PRIVILEGED=1 to allow)';
export const ALLOW_HOST_BINDS_HINT = 'host bind mounts are not allowed (set SLIPWAY_ALLOW_HOST_BINDS=1 to allow, or use a named volume)';

const BY_NAME = 'services of one app reach each other by service name on the app network';
const USE_CONFIG = 'set values with `slipway config:set APP KEY=VALUE` and list them under `environment:` (KEY alone takes the app\'s value)';

/** Refused service keys whose reason tells the user what to do instead. */
export const REFUSED_SERVICE_KEYS: Record<string, string> = {
  links: `not supported by Slipway: ${BY_NAME}; remove it`,
  external_links: `not supported by Slipway: ${BY_NAME}; remove it`,
  networks: `not supported by Slipway: each app has one network and ${BY_NAME}; remove it`,
  extra_hosts: 'not supported by Slipway: containers resolve names through Docker\'s DNS; put addresses in the app config instead',
  container_name: 'not supported by Slipway: it names containers itself (blue and green run side by side); remove it',
  hostname: 'not supported by Slipway: replicas share a service; reach it by its service name; remove it',
  domainname: 'not supported by Slipway; remove it',
  secrets: `not supported by Slipway; ${USE_CONFIG}`,
  configs: 'not supported by Slipway: put the file in the image (Dockerfile COPY) or its content in the app config',
  devices: 'not supported by Slipway: containers get no host devices',
  volumes_from: 'not supported by Slipway: declare a named volume under top-level `volumes:` and mount it in both services',
  extends: 'not supported by Slipway: use YAML anchors (`x-defaults: &defaults` … `<<: *defaults`) instead',
  profiles: 'not supported by Slipway: every service in the file is deployed; remove it',
  mem_reservation: 'not supported by Slipway: use mem_limit or deploy.resources.limits.memory',
  logging: 'not supported by Slipway: it ships stdout/stderr itself (label `slipway.logs.files` adds log files); remove it',
  ipc: 'not supported by Slipway; remove it',
  security_opt: 'not supported by Slipway; remove it',
  userns_mode: 'not supported by Slipway; remove it',
  cgroup_parent: 'not supported by Slipway; remove it',
  sysctls: 'not supported by Slipway; remove it',
  ulimits: 'not supported by Slipway; remove it',
  tmpfs: 'not supported by Slipway: mount a named volume instead',
  stop_signal: 'not supported by Slipway: containers are stopped with SIGTERM, then SIGKILL after stop_grace_period',
  platform: 'not supported by Slipway: the image is built for the host\'s platform',
  pull_policy: 'not supported by Slipway; remove it',
};

/** Why a key not in SERVICE_KEYS is refused. */
export function refusedServiceKey(key: string): string {
  return REFUSED_SERVICE_KEYS[key] ?? `not supported by Slipway (supported keys: ${SERVICE_KEYS.join(', ')})`;
}

export const BUILD_KEYS = ['context', 'dockerfile'] as const;
export const HEALTHCHECK_KEYS = ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'] as const;
export const ENV_FILE_KEYS = ['path', 'required'] as const;
export const DEPLOY_KEYS = ['replicas', 'resources'] as const;
export const RESOURCES_KEYS = ['limits'] as const;
export const LIMITS_KEYS = ['memory', 'cpus'] as const;
export const DEPENDS_ON_KEYS = ['condition', 'required'] as const;
export const TOP_VOLUME_KEYS = ['driver'] as const;

/** Labels that steer Slipway rather than being set on the container. */
export const SLIPWAY_LABELS = ['slipway.role', 'slipway.scale', 'slipway.logs.files', 'slipway.autoscale.*'] as const;

/** Top-level keys: what happens to each one. */
export const TOP_LEVEL: Record<string, 'use' | 'ignore' | string> = {
  services: 'use',
  volumes: 'use',
  // Obsolete in the Compose Specification; the project name is the app's name.
  version: 'ignore',
  name: 'ignore',
  networks: `not supported by Slipway: each app gets one network of its own and ${BY_NAME}; remove it`,
  secrets: `not supported by Slipway; ${USE_CONFIG}`,
  configs: 'not supported by Slipway: put the file in the image (Dockerfile COPY) or its content in the app config',
  include: 'not supported by Slipway: put every service in this one file',
  models: 'not supported by Slipway; remove it',
};

/** Refuses each key of `map` not in `allowed` (x- extension keys are always allowed). */
export function checkKeys(
  map: Record<string, unknown>,
  path: KeyPath,
  allowed: readonly string[],
  problems: Problems,
): void {
  const where = path.join('.');
  for (const key of Object.keys(map)) {
    if (allowed.includes(key) || key.startsWith('x-')) continue;
    problems.add([...path, key], `not supported by Slipway (supported under ${where}: ${allowed.join(', ')})`);
  }
}

/** Service names become container names, DNS names and HAProxy backend names. */
export function checkServiceName(name: string, problems: Problems): void {
  if (!/^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/.test(name))
    problems.add(['services', name], 'service names must be 1–63 characters of a-z, 0-9, "-" and "_", starting and ending with a letter or digit');
}
