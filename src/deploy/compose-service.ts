// One compose service → what Slipway runs, before the app-level choices (health fallback, port
// fallback) that need the build's output. Every key is either turned into a field or refused.
import type { HealthCheck, ServiceSpec, VolumeMount } from '../domain.js';
import * as rules from './compose-rules.js';
import { envFiles } from './compose-env.js';
import { deploySection, restartFromPolicy } from './compose-deploy.js';
import { JOB_LABELS, handlesLabel, jobLabels } from './compose-jobs.js';
import type { KeyPath, Problems } from './compose-source.js';
import {
  isRecord, isTrue, parseCount, parseCpus, parseDuration, parseExposeEntry, parseMemory, parsePortEntry, parseVolumeShort,
  splitShellWords, type VolumeEntry,
} from './compose-values.js';
import { ruleFrom, settingsFromLabels } from '../scale/rule.js';

export type Dependency = ServiceSpec['dependsOn'][number] & { at: string };

export interface ComposeService extends Omit<ServiceSpec, 'health' | 'port' | 'dependsOn'> {
  /** `file:line:col` of the service, for problems found once the build's output is known. */
  at: string;
  /** Container ports, from `ports:` then `expose:`. */
  ports: number[];
  /** The compose `healthcheck` (docker, or none when disabled); null when it declares none. */
  healthcheck: Extract<HealthCheck, { kind: 'docker' | 'none' }> | null;
  dependsOn: Dependency[];
  /** Whether `restart:` was written (a one-shot service's default differs). */
  restartDeclared: boolean;
}

export interface ServiceContext {
  problems: Problems;
  at: (path: KeyPath) => string;
  warn: (line: string) => void;
  vars: Record<string, string>;
  /** Named volumes declared at the top level. */
  volumes: Set<string>;
  allowHostBinds: boolean;
  allowPrivileged: boolean;
  /** Reads a file of the repo by its path relative to the compose file (env_file); null if absent. */
  readFile?: (relPath: string) => string | null;
  /** Where the services will run: on a swarm, placement and reservations take effect. */
  engine?: 'single' | 'swarm';
  /** `aliyun.project_type: batch` somewhere in the file: every service is a job. */
  batch?: boolean;
}

export { isRecord };

export function composeService(name: string, raw: Record<string, unknown>, ctx: ServiceContext): ComposeService {
  const base: KeyPath = ['services', name];
  const { problems } = ctx;
  /** Runs a value parser; its error becomes a problem at `key`. */
  const read = <T>(key: KeyPath, parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (e) {
      problems.add([...base, ...key], (e as Error).message);
      return undefined;
    }
  };
  for (const key of Object.keys(raw)) {
    const known = (rules.SERVICE_KEYS as readonly string[]).includes(key) || (rules.PRIVILEGED_KEYS as readonly string[]).includes(key);
    if (!known && !key.startsWith('x-')) problems.add([...base, key], rules.refusedServiceKey(key));
  }

  const labels = read(['labels'], () => keyValues(raw.labels, () => '')) ?? {};
  const slipway = slipwayLabels(labels, base, problems);
  const jobs = jobLabels(labels, base, problems, (path, line) => ctx.warn(`${ctx.at(path)}: ${line}`));
  const isJob = jobs.job || ctx.batch === true;
  if (!isJob) for (const k of jobs.written) problems.add([...base, 'labels', k], 'applies to jobs only: add the label slipway.job: "true" to run this service as a job');
  if (isJob && slipway.role) problems.add([...base, 'labels', 'slipway.role'], 'a job has no web/worker role; remove slipway.role or slipway.job');
  const ports: number[] = [];
  let published = -1;
  listOf(raw.ports).forEach((entry, i) => {
    const p = read(['ports', i], () => parsePortEntry(entry));
    if (p) ports.push(p.port);
    if (p?.published && published < 0) published = i;
  });
  const declaresPorts = ports.length > 0;
  if (published >= 0)
    ctx.warn(`${ctx.at([...base, 'ports', published])}: services.${name}.ports: host ports are ignored; Slipway routes traffic to the container port itself`);
  listOf(raw.expose).forEach((entry, i) => {
    const p = read(['expose', i], () => parseExposeEntry(entry));
    if (p) ports.push(p);
  });
  // `expose` alone keeps a service internal (a database), as in compose; `ports` asks for traffic.
  const role = isJob ? 'job' : (slipway.role ?? (name === 'web' || declaresPorts ? 'web' : 'worker'));

  const builds = raw.build !== undefined && raw.build !== null;
  if (builds) checkBuild(raw.build, base, problems);
  const limits = isRecord(raw.deploy) ? deploySection(raw.deploy, base, problems, read, ctx.engine === 'swarm', (l) => ctx.warn(`${ctx.at([...base, 'deploy'])}: ${l}`)) : {};
  const memoryBytes = agree(base, 'mem_limit', read(['mem_limit'], () => opt(raw.mem_limit, parseMemory)), limits.memory, problems);
  const nanoCpus = agree(base, 'cpus', read(['cpus'], () => opt(raw.cpus, parseCpus)), limits.cpus, problems);
  const scale = read(['scale'], () => opt(raw.scale, (v) => parseCount(v)));
  const replicas = agree(base, 'scale', scale, limits.replicas, problems) ?? slipway.scale ?? jobs.scale ?? 1;
  const restart = read(['restart'], () => opt(raw.restart, (v) => restartPolicy(v, (w) => ctx.warn(`${ctx.at([...base, 'restart'])}: services.${name}.restart: ${w}`))));
  if (isJob && restart !== undefined && restart !== 'no')
    problems.add([...base, 'restart'], `a job runs to completion and is retried by slipway.job.retries, not restarted by Docker; remove restart: ${restart}`);
  const fromFiles = envFiles(raw.env_file, base, ctx.problems, ctx.readFile);
  const env = read(['environment'], () =>
    environment(raw.environment, ctx.vars, (k) => {
      if (!(k in fromFiles))
        ctx.warn(`${ctx.at([...base, 'environment'])}: services.${name}.environment: ${k} is not set in the app's config; it is left out until \`slipway config:set APP ${k}=…\``);
    }),
  );
  const service: ComposeService = {
    name,
    at: ctx.at(base),
    role,
    image: builds ? undefined : (raw.image as string | undefined),
    command: read(['command'], () => opt(raw.command, argv)),
    entrypoint: read(['entrypoint'], () => opt(raw.entrypoint, argv)),
    environment: { ...fromFiles, ...env?.values },
    configKeys: env?.configKeys ?? [],
    ports,
    replicas,
    healthcheck: isRecord(raw.healthcheck) ? healthcheck(raw.healthcheck, [...base, 'healthcheck'], problems, read) : null,
    volumes: volumes(raw.volumes, base, ctx),
    dependsOn: withAliyunDepends(dependsOn(raw.depends_on, base, ctx), jobs.depends, isJob, ctx.at([...base, 'labels', 'aliyun.depends'])),
    memoryBytes,
    nanoCpus,
    cpuShares: read(['cpu_shares'], () => opt(raw.cpu_shares, (v) => parseCount(v))),
    restart: isJob ? 'no' : (restart ?? (limits.restartPolicy ? restartFromPolicy(limits.restartPolicy) : 'unless-stopped')),
    restartDeclared: restart !== undefined || limits.restartPolicy !== undefined,
    labels: Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('slipway.') && !jobs.consumed.includes(k))),
    stopGraceSeconds: read(['stop_grace_period'], () => opt(raw.stop_grace_period, (v) => Math.ceil(parseDuration(v)))) ?? 10,
    logFiles: slipway.logFiles,
    init: opt(raw.init, isTrue),
    workingDir: opt(raw.working_dir, String),
    user: opt(raw.user, String),
  };
  const sameRestart = (a: string, b: string) => a === b || (['always', 'unless-stopped'].includes(a) && ['always', 'unless-stopped'].includes(b));
  if (restart !== undefined && limits.restartPolicy && !sameRestart(restartFromPolicy(limits.restartPolicy), restart))
    problems.add([...base, 'restart'], 'conflicts with deploy.restart_policy; keep one of them');
  if (isJob && limits.restartPolicy)
    problems.add([...base, 'deploy', 'restart_policy'], 'a job runs to completion and is retried by slipway.job.retries, not restarted; remove deploy.restart_policy');
  if (limits.reservations) service.reservations = limits.reservations;
  if (limits.placement) service.placement = limits.placement;
  if (limits.restartPolicy) service.restartPolicy = limits.restartPolicy;
  if (isJob) service.job = jobs.spec;
  const autoscale = autoscaleRule(labels, memoryBytes, base, problems);
  if (autoscale) service.autoscale = autoscale;
  const access = hostAccess(raw, base, role, ctx);
  if (access) service.hostAccess = access;
  return service;
}

/** `aliyun.depends: a,b`: a job waits for them to complete, a service for them to start. */
function withAliyunDepends(deps: Dependency[], names: string[], isJob: boolean, at: string): Dependency[] {
  const condition = isJob ? 'service_completed_successfully' : 'service_started';
  return [...deps, ...names.filter((n) => !deps.some((d) => d.service === n)).map((service) => ({ service, condition, at }) as Dependency)];
}

const opt = <T>(v: unknown, parse: (v: unknown) => T): T | undefined => (v === undefined || v === null ? undefined : parse(v));
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const argv = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : splitShellWords(String(v)));

/** Two spellings of one setting (`mem_limit` and `deploy.resources.limits.memory`) must agree. */
function agree(base: KeyPath, key: string, a: number | undefined, b: number | undefined, problems: Problems): number | undefined {
  if (a !== undefined && b !== undefined && a !== b) problems.add([...base, key], `conflicts with the value under deploy:; keep one of them`);
  return a ?? b;
}

/** A map, or a list of `KEY=VALUE` (and bare `KEY`), as environment and labels are written. */
function keyValues(v: unknown, bare: (key: string) => string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, value: string | undefined) => {
    if (!k) throw new Error('has an entry with an empty name');
    if (value !== undefined) out[k] = value;
  };
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf('=');
      put(eq < 0 ? s : s.slice(0, eq), eq < 0 ? bare(s) : s.slice(eq + 1));
    }
  } else if (isRecord(v)) {
    for (const [k, value] of Object.entries(v)) put(k, value === null || value === undefined ? bare(k) : String(value));
  }
  return out;
}

/**
 * `KEY` alone (or `KEY:` with no value) takes the app's config value, as compose takes the
 * shell's; it is looked up when each container starts, so a later `config:set KEY=…` reaches it.
 */
function environment(v: unknown, vars: Record<string, string>, missing: (k: string) => void) {
  const configKeys: string[] = [];
  const values = keyValues(v, (k) => {
    configKeys.push(k);
    if (vars[k] === undefined) missing(k);
    return undefined;
  });
  return { values, configKeys };
}

function slipwayLabels(labels: Record<string, string>, base: KeyPath, problems: Problems) {
  const out: { role?: 'web' | 'worker'; scale?: number; logFiles: string[] } = { logFiles: [] };
  for (const [k, v] of Object.entries(labels)) {
    if (!k.startsWith('slipway.') || handlesLabel(k) || k.startsWith('slipway.autoscale.')) continue;
    const path = [...base, 'labels', k];
    if (k === 'slipway.role') {
      if (v === 'web' || v === 'worker') out.role = v;
      else problems.add(path, `must be web or worker, not ${JSON.stringify(v)}`);
    } else if (k === 'slipway.scale') {
      if (/^\d+$/.test(v.trim())) out.scale = Number(v);
      else problems.add(path, `must be a whole number of replicas, not ${JSON.stringify(v)}`);
    } else if (k === 'slipway.logs.files') {
      out.logFiles = v.split(',').map((g) => g.trim()).filter(Boolean);
      const relative = out.logFiles.filter((g) => !g.startsWith('/'));
      if (!out.logFiles.length || relative.length)
        problems.add(path, `must be comma-separated absolute globs inside the container, e.g. /app/log/*.log${relative.length ? ` (not ${relative.join(', ')})` : ''}`);
    } else {
      problems.add(path, `unknown Slipway label (known: ${[...rules.SLIPWAY_LABELS, ...JOB_LABELS].join(', ')})`);
    }
  }
  return out;
}

/** `slipway.autoscale.*` / `aliyun.auto_scaling.*` labels → the service's autoscaling rule. */
function autoscaleRule(labels: Record<string, string>, memoryBytes: number | undefined, base: KeyPath, problems: Problems) {
  const { settings, problems: bad } = settingsFromLabels(labels);
  for (const p of bad) problems.add([...base, 'labels', p.label], p.message);
  try {
    return ruleFrom(settings, memoryBytes) ?? undefined;
  } catch (e) {
    problems.add([...base, 'labels'], `autoscale: ${(e as Error).message}`);
    return undefined;
  }
}

function checkBuild(build: unknown, base: KeyPath, problems: Problems): void {
  const path = [...base, 'build'];
  const b = isRecord(build) ? build : { context: build };
  if (isRecord(build)) rules.checkKeys(build, path, rules.BUILD_KEYS, problems);
  const context = String(b.context ?? '.').replace(/\/+$/, '');
  if (context !== '.' && context !== '')
    problems.add(isRecord(build) ? [...path, 'context'] : path, `Slipway builds one image per app from the repository root; a build context of ${JSON.stringify(b.context)} is not supported`);
  if (b.dockerfile !== undefined && !/^(\.\/)?Dockerfile$/.test(String(b.dockerfile)))
    problems.add([...path, 'dockerfile'], 'Slipway builds the Dockerfile at the repository root (or a buildpack); other Dockerfiles are not supported');
}

function restartPolicy(v: unknown, warn: (line: string) => void): ServiceSpec['restart'] {
  const s = String(v).trim();
  if (s === 'no' || s === 'always' || s === 'on-failure' || s === 'unless-stopped') return s;
  if (/^on-failure:\d+$/.test(s)) {
    warn(`the retry count is not supported; restarting on every failure`);
    return 'on-failure';
  }
  throw new Error(`must be one of: no, always, on-failure, unless-stopped (not ${JSON.stringify(s)})`);
}

function healthcheck(h: Record<string, unknown>, path: KeyPath, problems: Problems, read: <T>(k: KeyPath, f: () => T) => T | undefined): ComposeService['healthcheck'] {
  rules.checkKeys(h, path, rules.HEALTHCHECK_KEYS, problems);
  if (isTrue(h.disable)) return { kind: 'none' };
  const test = Array.isArray(h.test) ? h.test.map(String) : typeof h.test === 'string' ? ['CMD-SHELL', h.test] : null;
  if (test?.[0] === 'NONE') return { kind: 'none' };
  const sub = path.slice(2);
  if (!test || test.length < 2 || !(test[0] === 'CMD' || test[0] === 'CMD-SHELL') || (test[0] === 'CMD-SHELL' && test.length !== 2)) {
    problems.add([...path, 'test'], test
      ? 'must be a string (run by a shell), ["CMD", "prog", "arg"…], ["CMD-SHELL", "command"] or ["NONE"]'
      : 'required: Slipway does not use the image\'s HEALTHCHECK (write e.g. test: ["CMD", "curl", "-f", "http://localhost:3000/health"], or disable: true)');
    return null;
  }
  const seconds = (key: string, dflt: number) => read([...sub, key], () => opt(h[key], parseDuration)) ?? dflt;
  // Docker's own defaults when a value is left out.
  return {
    kind: 'docker',
    test,
    interval: seconds('interval', 30),
    timeout: seconds('timeout', 30),
    retries: read([...sub, 'retries'], () => opt(h.retries, (v) => parseCount(v))) ?? 3,
    startPeriod: seconds('start_period', 0),
  };
}

function volumes(v: unknown, base: KeyPath, ctx: ServiceContext): VolumeMount[] {
  const out: VolumeMount[] = [];
  listOf(v).forEach((entry, i) => {
    const path = [...base, 'volumes', i];
    let vol: VolumeEntry;
    try {
      vol = typeof entry === 'string' ? parseVolumeShort(entry) : longVolume(entry, path, ctx.problems);
    } catch (e) {
      ctx.problems.add(path, (e as Error).message);
      return;
    }
    if (!vol.target.startsWith('/')) return ctx.problems.add(path, `the target ${JSON.stringify(vol.target)} must be an absolute path in the container`);
    if (vol.type === 'bind') {
      if (!ctx.allowHostBinds) return ctx.problems.add(path, rules.ALLOW_HOST_BINDS_HINT);
      if (!vol.source?.startsWith('/'))
        return ctx.problems.add(path, `the host path ${JSON.stringify(vol.source)} must be absolute: the repository checkout is removed after the build`);
      out.push({ source: vol.source, target: vol.target, readOnly: vol.readOnly, bind: true });
    } else if (vol.type !== 'volume') {
      ctx.problems.add(path, `volume type ${JSON.stringify(vol.type)} is not supported by Slipway (use a named volume)`);
    } else if (!vol.source) {
      ctx.problems.add(path, 'anonymous volumes are not supported: name it (`data:/path`) and declare it under top-level `volumes:`');
    } else if (!ctx.volumes.has(vol.source)) {
      ctx.problems.add(path, `volume "${vol.source}" is not declared under top-level \`volumes:\` (add \`volumes: { ${vol.source}: {} }\`)`);
    } else {
      out.push({ source: vol.source, target: vol.target, readOnly: vol.readOnly, bind: false });
    }
  });
  return out;
}

function longVolume(entry: unknown, path: KeyPath, problems: Problems): VolumeEntry {
  if (!isRecord(entry)) throw new Error('must be SOURCE:TARGET[:MODE] or a map with type, source and target');
  rules.checkKeys(entry, path, ['type', 'source', 'target', 'read_only'], problems);
  const type = String(entry.type ?? 'volume');
  const source = entry.source === undefined ? undefined : String(entry.source);
  return { type, source, target: String(entry.target ?? ''), readOnly: isTrue(entry.read_only) };
}

function dependsOn(v: unknown, base: KeyPath, ctx: ServiceContext): Dependency[] {
  const path = [...base, 'depends_on'];
  if (Array.isArray(v)) return v.map((s, i) => ({ service: String(s), condition: 'service_started', at: ctx.at([...path, i]) }));
  if (!isRecord(v)) return [];
  return Object.entries(v).map(([service, d]) => {
    const dep = isRecord(d) ? d : {};
    rules.checkKeys(dep, [...path, service], rules.DEPENDS_ON_KEYS, ctx.problems);
    if (dep.required !== undefined && !isTrue(dep.required))
      ctx.problems.add([...path, service, 'required'], 'optional dependencies are not supported by Slipway; remove the dependency or `required: false`');
    const condition = (dep.condition ?? 'service_started') as Dependency['condition'];
    return { service, condition, at: ctx.at([...path, service]) };
  });
}

function hostAccess(raw: Record<string, unknown>, base: KeyPath, role: string, ctx: ServiceContext): ServiceSpec['hostAccess'] {
  const { problems } = ctx;
  const wants = {
    privileged: isTrue(raw.privileged),
    capAdd: listOf(raw.cap_add).map(String),
    pidHost: raw.pid === 'host',
    networkHost: raw.network_mode === 'host',
  };
  if (raw.pid !== undefined && raw.pid !== null && !wants.pidHost) problems.add([...base, 'pid'], 'not supported by Slipway (only `pid: host`, with SLIPWAY_ALLOW_PRIVILEGED=1)');
  if (raw.network_mode !== undefined && raw.network_mode !== null && !wants.networkHost)
    problems.add([...base, 'network_mode'], 'not supported by Slipway: each app has one network of its own; remove it');
  const asked = (['privileged', 'cap_add', 'pid', 'network_mode'] as const).filter((k) =>
    k === 'privileged' ? wants.privileged : k === 'cap_add' ? wants.capAdd.length > 0 : k === 'pid' ? wants.pidHost : wants.networkHost,
  );
  if (!asked.length) return undefined;
  if (!ctx.allowPrivileged) {
    for (const k of asked) problems.add([...base, k], rules.ALLOW_PRIVILEGED_HINT);
    return undefined;
  }
  if (wants.networkHost && role === 'web')
    problems.add([...base, 'network_mode'], 'a web service cannot use host networking: its blue and green replicas would bind the same port');
  return wants;
}
