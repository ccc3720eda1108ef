// What a repo says to run → the services of a release: from its compose file when it has one,
// else one service per Procfile process type, else a single `web` running the image's command.
import { isPinnedImage, type BuiltImage, type HealthCheck, type ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';
import { parseCompose, type ComposeApp } from './compose.js';
import { DEFAULT_SCHEDULE } from './compose-jobs.js';

export { startOrder } from './services-order.js';

/** The port a web service listens on when nothing says otherwise (Heroku's and Dokku's default). */
export const DEFAULT_PORT = 5000;

export type ServiceInputs = Pick<BuiltImage, 'processes' | 'appJson' | 'compose' | 'exposedPort'>;

export interface ServiceOptions {
  allowHostBinds: boolean;
  allowPrivileged: boolean;
  /** Reads a repo file relative to the compose file (env_file); null when absent. */
  readFile?: (relPath: string) => string | null;
  /** Lines worth showing in the deploy output (ignored host ports, unset variables…). */
  warn?: (line: string) => void;
  /** Where the services will run (placement and reservations take effect on a swarm). */
  engine?: 'single' | 'swarm';
}

/**
 * The services to run for a build. Throws a UserError listing every problem of the compose file
 * (file:line:col: key: message). `appConfig` feeds compose `${VAR}` interpolation.
 */
export function servicesFor(built: ServiceInputs, appConfig: Record<string, string>, opts: ServiceOptions): ServiceSpec[] {
  return withCronJobs(longRunning(built, appConfig, opts), built);
}

function longRunning(built: ServiceInputs, appConfig: Record<string, string>, opts: ServiceOptions): ServiceSpec[] {
  if (built.compose) {
    const app = parseCompose(built.compose.text, built.compose.file, { ...opts, vars: appConfig });
    for (const w of app.warnings) opts.warn?.(w);
    if (Object.keys(built.processes).some((k) => k !== 'release'))
      opts.warn?.(`Procfile: process types are not run because ${built.compose.file} declares the services (a release command still runs)`);
    if (built.appJson?.formation)
      opts.warn?.(`app.json formation is not applied: ${built.compose.file} sets each service's replicas (deploy.replicas)`);
    return composeSpecs(app, built);
  }
  const types = Object.entries(built.processes).filter(([name]) => name !== 'release');
  const specs = types.length ? types.map(([name, command]) => processSpec(name, command, built)) : [processSpec('web', null, built)];
  return applyFormation(specs, built.appJson?.formation ?? null);
}

/**
 * Heroku's and Dokku's process formation: on an app's first deploy only `web` runs, one
 * replica; every other type starts at 0 until scaled. app.json `formation` sets every type's
 * replicas instead (a type it does not list gets 0), and must only name types that exist.
 */
export function applyFormation(specs: ServiceSpec[], formation: Record<string, number> | null): ServiceSpec[] {
  if (!formation) return specs;
  const unknown = Object.keys(formation).filter((t) => !specs.some((s) => s.name === t));
  if (unknown.length)
    throw new UserError(
      `app.json formation names ${unknown.map((t) => `"${t}"`).join(', ')}, which the Procfile does not declare (process types: ${specs.map((s) => s.name).join(', ')})`,
    );
  return specs.map((s) => ({ ...s, replicas: formation[s.name] ?? 0 }));
}

/** app.json `cron` entries become jobs `cron-1`, `cron-2`…, each on its own schedule, alone. */
function withCronJobs(specs: ServiceSpec[], built: Pick<ServiceInputs, 'appJson'>): ServiceSpec[] {
  const entries = built.appJson?.cron ?? [];
  const cron = entries.map((e, i): ServiceSpec => {
    const name = `cron-${i + 1}`;
    if (specs.some((s) => s.name === name)) throw new UserError(`app.json cron[${i}] would run as service ${name}, which the app already declares; rename that service`);
    return {
      ...processSpec(name, e.command, { processes: {}, appJson: null, compose: null, exposedPort: null }),
      role: 'job',
      // One instance a run (a Procfile type other than web would start at 0).
      replicas: 1,
      restart: 'no',
      job: { retries: 0, removeContainers: 'remove-finished', schedule: { ...DEFAULT_SCHEDULE, cron: e.schedule, taskOnly: true } },
    };
  });
  return [...specs, ...cron];
}

/**
 * Pins each compose `image:` with `pin` (its digest): a release runs exactly the image it was
 * made with, whatever the tag points at later. A service whose `image:` is unchanged since
 * `previous` keeps that release's pin (a config change re-derives the services from the file).
 */
export async function pinServiceImages(services: ServiceSpec[], previous: readonly ServiceSpec[], pin: (image: string) => Promise<string>): Promise<ServiceSpec[]> {
  return Promise.all(
    services.map(async (s) => {
      if (!s.image || isPinnedImage(s.image)) return s;
      const before = previous.find((p) => p.name === s.name && p.imageTag === s.image && p.image);
      return { ...s, imageTag: s.image, image: before?.image ?? (await pin(s.image)) };
    }),
  );
}

/** The Procfile's `release` command, run once per release before traffic moves; not a service. */
export function releaseCommand(processes: Record<string, string>): string | null {
  return processes.release?.trim() || null;
}

/** A parsed compose app → service specs, choosing health and port with what the build found. */
export function composeSpecs(app: ComposeApp, built: Pick<ServiceInputs, 'appJson' | 'exposedPort'>): ServiceSpec[] {
  const specs = app.services.map((s): ServiceSpec => {
    const { at: _at, ports, healthcheck, restartDeclared: _declared, dependsOn, ...rest } = s;
    const spec: ServiceSpec = {
      ...rest,
      health: healthcheck ?? fallbackHealth(s.name, s.role, built),
      dependsOn: dependsOn.map(({ service, condition }) => ({ service, condition })),
    };
    if (s.role === 'web') {
      // The image's EXPOSE speaks for the app's own image only, not for a compose `image:`.
      spec.port = ports[0] ?? (s.image ? null : built.exposedPort) ?? DEFAULT_PORT;
      spec.environment = { PORT: String(spec.port), ...spec.environment };
    } else if (ports[0] !== undefined) {
      spec.port = ports[0];
    }
    return dropUndefined(spec);
  });
  checkHealthyDependencies(app, specs);
  return specs;
}

/** Names are already DNS labels (the Procfile parser is strict). */
function processSpec(name: string, command: string | null, built: ServiceInputs): ServiceSpec {
  const role = name === 'web' ? 'web' : 'worker';
  const port = role === 'web' ? (built.exposedPort ?? DEFAULT_PORT) : undefined;
  const spec: ServiceSpec = {
    name,
    role,
    // Through a shell, as Heroku runs Procfile lines, so `$PORT` and `&&` work as users expect.
    command: command === null ? undefined : ['sh', '-c', command],
    environment: port === undefined ? {} : { PORT: String(port) },
    port,
    replicas: role === 'web' ? 1 : 0,
    health: fallbackHealth(name, role, built),
    volumes: [],
    dependsOn: [],
    restart: 'unless-stopped',
    labels: {},
    stopGraceSeconds: 10,
    logFiles: [],
  };
  return dropUndefined(spec);
}

/** app.json `healthchecks` for the service, else "the port answers" for web, else nothing. */
function fallbackHealth(name: string, role: ServiceSpec['role'], built: Pick<ServiceInputs, 'appJson'>): HealthCheck {
  const checks = built.appJson?.healthchecks[name];
  if (checks?.length) return { kind: 'http', checks };
  return role === 'web' ? { kind: 'port' } : { kind: 'none' };
}

/** `condition: service_healthy` waits for a health check, so the dependency must have one. */
function checkHealthyDependencies(app: ComposeApp, specs: ServiceSpec[]): void {
  const health = new Map(specs.map((s) => [s.name, s.health.kind]));
  const lines = app.services.flatMap((s) =>
    s.dependsOn
      .filter((d) => d.condition === 'service_healthy' && health.get(d.service) === 'none')
      .map((d) => `${d.at}: services.${s.name}.depends_on.${d.service}: condition service_healthy, but ${d.service} has no health check (add a \`healthcheck:\` to ${d.service})`),
  );
  if (lines.length) throw new UserError(`${app.file}: ${lines.length} problem${lines.length === 1 ? '' : 's'} to fix before Slipway can deploy it:\n${lines.join('\n')}`);
}

/** Specs are stored as JSON with releases; absent fields stay absent rather than `undefined`. */
function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
