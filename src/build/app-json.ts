// Parses app.json (Heroku's manifest, with Dokku's `healthchecks` and `scripts.dokku`) into AppJson.
import type { AppJson, HttpHealthCheck } from '../domain.js';
import { UserError } from '../errors.js';
import { checkCron } from '../jobs/cron.js';

/** Dokku's defaults for a healthchecks entry (seconds). */
export const HEALTHCHECK_DEFAULTS = { attempts: 5, timeout: 5, wait: 2, initialDelay: 0 } as const;
const CHECK_TYPES = ['startup', 'liveness', 'readiness'] as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Unknown keys (name, formation, buildpacks…) are ignored, as Dokku does. */
export function parseAppJson(text: string): AppJson {
  const doc = parseJson(text);
  if (!isObject(doc)) throw new UserError('app.json: the top level must be a JSON object');
  return {
    healthchecks: parseHealthchecks(doc.healthchecks),
    scripts: parseScripts(doc.scripts),
    env: parseEnv(doc.env),
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

function parseJson(text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(body);
  } catch (e) {
    // V8 names the position only for some errors; find it ourselves so every message has one.
    const pos = jsonErrorPosition(body);
    const before = body.slice(0, pos).split('\n');
    const column = (before[before.length - 1]?.length ?? 0) + 1;
    const reason = (e as Error).message.replace(/,? ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
    throw new UserError(`app.json line ${before.length} column ${column}: invalid JSON (${reason})`);
  }
}

/** Offset of the first character a JSON parser rejects (a minimal validating scanner). */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => (text.startsWith(word, i) ? (i += word.length) : fail());
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if ((text.charCodeAt(i) ?? 0) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m || m[0] === '' || m[0] === '-') fail();
      i += (m as RegExpExecArray)[0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (pos) {
    return Math.min(pos as number, text.length);
  }
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

/** `scripts.dokku.*` (Dokku) wins over top-level `scripts.*` (Heroku). */
function parseScripts(v: unknown): AppJson['scripts'] {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new UserError('app.json scripts: expected an object');
  const dokku = v.dokku === undefined ? {} : v.dokku;
  if (!isObject(dokku)) throw new UserError('app.json scripts.dokku: expected an object');
  const scripts: AppJson['scripts'] = {};
  for (const key of ['predeploy', 'postdeploy'] as const) {
    const value = dokku[key] ?? v[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new UserError(`app.json scripts.${dokku[key] !== undefined ? 'dokku.' : ''}${key}: expected a command string`);
    }
    scripts[key] = value;
  }
  return scripts;
}

/** Values are strings or `{value}`; an entry with no value (only `required`/`description`) sets nothing. */
function parseEnv(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new UserError('app.json env: expected an object of NAME → value');
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`app.json env: ${JSON.stringify(name)} is not a valid variable name`);
    const value = isObject(raw) ? raw.value : raw;
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
    else throw new UserError(`app.json env.${name}: expected a string or {"value": "…"}`);
  }
  return env;
}
