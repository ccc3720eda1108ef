// Parses app.json (Heroku's manifest, with Dokku's `healthchecks`, `scripts.dokku` and comments)
// into AppJson: health checks, deploy scripts, env defaults, the process formation and cron.
import type { AppEnvVar, AppJson, HttpHealthCheck } from '../domain.js';
import { UserError } from '../errors.js';
import { checkCron } from '../jobs/cron.js';
import { parseJsonText } from './json-text.js';
import { PROCESS_NAME, PROCESS_NAME_RULE } from './procfile.js';

/** Dokku's defaults for a healthchecks entry (seconds). */
export const HEALTHCHECK_DEFAULTS = { attempts: 5, timeout: 5, wait: 2, initialDelay: 0 } as const;
const CHECK_TYPES = ['startup', 'liveness', 'readiness'] as const;
/** The most replicas a formation or `slipway scale` may ask for. */
export const MAX_QUANTITY = 100;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Unknown keys (name, buildpacks, addons…) are ignored, as Dokku does. */
export function parseAppJson(text: string): AppJson {
  const doc = parseJsonText(text, 'app.json');
  if (!isObject(doc)) throw new UserError('app.json: the top level must be a JSON object');
  return {
    healthchecks: parseHealthchecks(doc.healthchecks),
    scripts: parseScripts(doc.scripts),
    env: parseEnv(doc.env),
    formation: parseFormation(doc.formation),
    ...(doc.cron === undefined || doc.cron === null ? {} : { cron: parseCron(doc.cron) }),
  };
}

/** Dokku's `cron`: `[{"command": "…", "schedule": "@daily"}]`, each run in the release's image. */
function parseCron(v: unknown): NonNullable<AppJson['cron']> {
  if (!Array.isArray(v)) throw new UserError('app.json cron: expected a list of {"command": "…", "schedule": "…"}');
  return v.map((entry, i) => {
    const where = `app.json cron[${i}]`;
    if (!isObject(entry)) throw new UserError(`${where}: expected {"command": "…", "schedule": "…"}`);
    if (typeof entry.command !== 'string' || !entry.command.trim()) throw new UserError(`${where}.command: expected a command string`);
    if (typeof entry.schedule !== 'string') throw new UserError(`${where}.schedule: expected a cron expression such as "@daily" or "5 3 * * *"`);
    try {
      checkCron(entry.schedule);
    } catch (e) {
      throw new UserError(`${where}.schedule: ${(e as Error).message}`);
    }
    return { command: entry.command.trim(), schedule: entry.schedule.trim() };
  });
}

function parseHealthchecks(v: unknown): Record<string, HttpHealthCheck[]> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new UserError('app.json healthchecks: expected an object of process type → list of checks');
  const out: Record<string, HttpHealthCheck[]> = {};
  for (const [proc, list] of Object.entries(v)) {
    if (!Array.isArray(list)) throw new UserError(`app.json healthchecks.${proc}: expected a list of checks`);
    out[proc] = list.map((entry, i) => parseCheck(entry, `app.json healthchecks.${proc}[${i}]`));
  }
  return out;
}

function parseCheck(v: unknown, where: string): HttpHealthCheck {
  if (!isObject(v)) throw new UserError(`${where}: expected an object`);
  if (v.command !== undefined) {
    throw new UserError(`${where}: command checks are not supported; use "path" for an HTTP check`);
  }
  const type = v.type;
  if (type !== undefined && !CHECK_TYPES.includes(type as (typeof CHECK_TYPES)[number])) {
    throw new UserError(`${where}.type: expected one of ${CHECK_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  }
  const path = v.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new UserError(`${where}.path: expected a path starting with "/", got ${JSON.stringify(path)}`);
  }
  if (v.content !== undefined && typeof v.content !== 'string') {
    throw new UserError(`${where}.content: expected a string`);
  }
  const check: HttpHealthCheck = {
    path,
    attempts: number(v.attempts, HEALTHCHECK_DEFAULTS.attempts, `${where}.attempts`, 1),
    timeout: number(v.timeout, HEALTHCHECK_DEFAULTS.timeout, `${where}.timeout`, 1),
    wait: number(v.wait, HEALTHCHECK_DEFAULTS.wait, `${where}.wait`, 0),
    initialDelay: number(v.initialDelay, HEALTHCHECK_DEFAULTS.initialDelay, `${where}.initialDelay`, 0),
  };
  if (type !== undefined) check.type = type as HttpHealthCheck['type'];
  if (v.content !== undefined) check.content = v.content as string;
  return check;
}

function number(v: unknown, fallback: number, where: string, min: number): number {
  if (v === undefined) return fallback;
  // Dokku's own docs write some of these as strings ("attempts": "3"); accept that too.
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
    throw new UserError(`${where}: expected a number ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * Dokku's `scripts.dokku.predeploy` and `.postdeploy` run on every deploy; Heroku's
 * `scripts.postdeploy` (a string, or `{"command": …}`) runs once, after the first deploy.
 */
function parseScripts(v: unknown): AppJson['scripts'] {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new UserError('app.json scripts: expected an object');
  const dokku = v.dokku ?? {};
  if (!isObject(dokku)) throw new UserError('app.json scripts.dokku: expected an object');
  const scripts: AppJson['scripts'] = {};
  const predeploy = command(dokku.predeploy, 'scripts.dokku.predeploy');
  const postdeploy = command(dokku.postdeploy, 'scripts.dokku.postdeploy');
  const heroku = isObject(v.postdeploy) ? v.postdeploy.command : v.postdeploy;
  const firstDeploy = command(heroku, isObject(v.postdeploy) ? 'scripts.postdeploy.command' : 'scripts.postdeploy');
  if (predeploy) scripts.predeploy = predeploy;
  if (postdeploy) scripts.postdeploy = postdeploy;
  if (firstDeploy) scripts.firstDeploy = firstDeploy;
  return scripts;
}

function command(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new UserError(`app.json ${where}: expected a command string`);
  return v;
}

/**
 * Heroku's and Dokku's env entries: a plain value, or `{value, required, generator, sync,
 * description}`. `required` defaults to true, as both document it: an entry with neither a
 * value nor a generator must be set with config:set before the app deploys.
 */
function parseEnv(v: unknown): Record<string, AppEnvVar> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new UserError('app.json env: expected an object of NAME → value');
  const env: Record<string, AppEnvVar> = {};
  for (const [name, raw] of Object.entries(v)) {
    const where = `app.json env.${name}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`app.json env: ${JSON.stringify(name)} is not a valid variable name`);
    const entry = isObject(raw) ? raw : { value: raw };
    const value = entry.value;
    const out: AppEnvVar = { required: true, sync: false };
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out.value = String(value);
    else if (value !== undefined && value !== null) throw new UserError(`${where}: expected a string or {"value": "…"}`);
    if (entry.generator !== undefined) {
      if (entry.generator !== 'secret') throw new UserError(`${where}.generator: only "secret" is supported, got ${JSON.stringify(entry.generator)}`);
      out.generator = 'secret';
    }
    for (const flag of ['required', 'sync'] as const) {
      if (entry[flag] === undefined) continue;
      if (typeof entry[flag] !== 'boolean') throw new UserError(`${where}.${flag}: expected true or false`);
      out[flag] = entry[flag];
    }
    env[name] = out;
  }
  return env;
}

/** `{"worker": {"quantity": 2}}`; a type listed without a quantity gets Dokku's default (web 1, others 0). */
function parseFormation(v: unknown): Record<string, number> | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new UserError('app.json formation: expected an object of process type → {"quantity": N}');
  const out: Record<string, number> = {};
  for (const [type, entry] of Object.entries(v)) {
    const where = `app.json formation.${type}`;
    if (!PROCESS_NAME.test(type) || type.length > 63) throw new UserError(`${where}: "${type}" is not a process type name (${PROCESS_NAME_RULE})`);
    if (!isObject(entry)) throw new UserError(`${where}: expected an object such as {"quantity": 1}`);
    const q = entry.quantity ?? (type === 'web' ? 1 : 0);
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q > MAX_QUANTITY)
      throw new UserError(`${where}.quantity: expected a whole number 0–${MAX_QUANTITY}, got ${JSON.stringify(entry.quantity)}`);
    out[type] = q;
  }
  return out;
}
