// A compose file → the services it declares, checked in three passes that each name the file,
// line and key: YAML syntax, the Compose Specification's JSON Schema, then Slipway's own rules.
// All problems are collected and reported together in one UserError.
import { UserError } from '../errors.js';
import * as rules from './compose-rules.js';
import { checkComposeSchema } from './compose-schema.js';
import { composeService, isRecord, type ComposeService } from './compose-service.js';
import { Problems, readComposeSource } from './compose-source.js';
import { findCycle } from './services-order.js';
import { checkJobGraph, declaresBatch } from './compose-jobs.js';

export type { ComposeService } from './compose-service.js';

export interface ComposeOptions {
  /** SLIPWAY_ALLOW_HOST_BINDS: host paths may be mounted. */
  allowHostBinds: boolean;
  /** SLIPWAY_ALLOW_PRIVILEGED: `privileged`, `cap_add`, `pid: host`, `network_mode: host`. */
  allowPrivileged: boolean;
  /** Values for `${VAR}` interpolation and bare `KEY` environment entries: the app's config. */
  vars?: Record<string, string>;
  /** Reads a repo file by its path relative to the compose file (for env_file); null if absent. */
  readFile?: (relPath: string) => string | null;
}

export interface ComposeApp {
  file: string;
  services: ComposeService[];
  /** Named volumes declared at the top level. */
  volumes: string[];
  /** What was accepted but not used as written (`file:line:col: …`), for the deploy's output. */
  warnings: string[];
}

export function parseCompose(text: string, file: string, opts: ComposeOptions): ComposeApp {
  const problems = new Problems();
  const warnings: string[] = [];
  const warn = (line: string) => void warnings.push(line);
  const source = readComposeSource(text, file, opts.vars ?? {}, problems, warn);
  const data = source.data;
  if (!isRecord(data)) throw new UserError(`${file}: must be a YAML map with a \`services:\` key`);
  checkComposeSchema(data, problems);

  for (const [key, value] of Object.entries(data)) {
    const rule = rules.TOP_LEVEL[key];
    if (key.startsWith('x-') || rule === 'use') continue;
    if (rule === 'ignore') {
      if (key === 'version') warn(`${source.at([key])}: version: obsolete in the Compose Specification and ignored; remove it`);
    } else if (value !== null) {
      problems.add([key], rule ?? 'not supported by Slipway; remove it');
    }
  }

  const volumes = topLevelVolumes(data.volumes, problems);
  const services: ComposeService[] = [];
  if (!isRecord(data.services) || !Object.keys(data.services).length) {
    problems.add(data.services === undefined ? [] : ['services'], 'declare at least one service under `services:`');
  } else {
    const batch = declaresBatch(data.services);
    for (const [name, raw] of Object.entries(data.services)) {
      rules.checkServiceName(name, problems);
      if (!isRecord(raw)) continue;
      const ctx = { ...opts, problems, warn, at: source.at, vars: opts.vars ?? {}, volumes: new Set(volumes), batch };
      services.push(composeService(name, raw, ctx));
    }
    checkDependencies(services, data.services, problems);
    checkJobGraph(services, data.services, problems);
  }
  problems.throwIfAny(source);
  return { file, services, volumes, warnings };
}

/** Top-level `volumes:` names: app-scoped volumes on the local driver, nothing else. */
function topLevelVolumes(v: unknown, problems: Problems): string[] {
  if (!isRecord(v)) return [];
  for (const [name, spec] of Object.entries(v)) {
    if (!isRecord(spec)) continue;
    // `external`, `name` and `driver_opts` would reach outside the app (driver_opts can bind host paths).
    rules.checkKeys(spec, ['volumes', name], rules.TOP_VOLUME_KEYS, problems);
    if (spec.driver !== undefined && spec.driver !== 'local')
      problems.add(['volumes', name, 'driver'], `only the local driver is supported by Slipway, not ${JSON.stringify(spec.driver)}`);
  }
  return Object.keys(v);
}

function checkDependencies(services: ComposeService[], raw: Record<string, unknown>, problems: Problems): void {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const s of services) {
    const written = (raw[s.name] as Record<string, unknown>).depends_on;
    const pathOf = (dep: string) => ['services', s.name, 'depends_on', Array.isArray(written) ? written.map(String).indexOf(dep) : dep];
    for (const d of s.dependsOn) {
      if (d.service === s.name) problems.add(pathOf(d.service), 'a service cannot depend on itself');
      else if (!byName.has(d.service)) problems.add(pathOf(d.service), `unknown service "${d.service}" (services: ${[...byName.keys()].join(', ')})`);
      // A one-shot service others wait for (migrations) must not be restarted once it has exited.
      const target = byName.get(d.service);
      if (d.condition === 'service_completed_successfully' && target && !target.restartDeclared) target.restart = 'no';
    }
  }
  const cycle = findCycle(services.map((s) => ({ name: s.name, dependsOn: s.dependsOn.filter((d) => d.service !== s.name) })));
  if (cycle) {
    const [first, second] = cycle as [string, string];
    const written = (raw[first] as Record<string, unknown>).depends_on;
    const index = Array.isArray(written) ? written.map(String).indexOf(second) : second;
    problems.add(['services', first, 'depends_on', index], `dependency cycle: ${cycle.join(' → ')}`);
  }
}
