// The value syntaxes of a compose file, as Docker Compose reads them: `${VAR:-default}`
// interpolation, Go durations, memory sizes, CPU counts, shell-words commands, port and volume
// short forms. Pure; each parser throws a plain Error whose message completes "KEY: …".

const NAME = /[_a-zA-Z][_a-zA-Z0-9]*/y;

/**
 * Compose interpolation (https://github.com/compose-spec/compose-spec/blob/main/spec.md#interpolation):
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
 * `${VAR:+replacement}`, `${VAR+replacement}`, nested in defaults, and `$$` for a literal `$`.
 * An unset variable without a default becomes "" and is reported through `unset`, as compose warns.
 */
export function interpolate(text: string, vars: Record<string, string>, unset: (name: string) => void): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new Error(`unclosed "\${" in ${JSON.stringify(text)} (write $$ for a literal $)`);
      out += braced(text.slice(i + 2, end), vars, unset);
      i = end + 1;
      continue;
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(text);
    if (!m) throw new Error(`invalid interpolation in ${JSON.stringify(text)} at "$${next ?? ''}" (write $$ for a literal $)`);
    out += lookup(m[0], vars, unset);
    i += 1 + m[0].length;
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function lookup(name: string, vars: Record<string, string>, unset: (name: string) => void): string {
  const v = vars[name];
  if (v === undefined) unset(name);
  return v ?? '';
}

function braced(body: string, vars: Record<string, string>, unset: (name: string) => void): string {
  NAME.lastIndex = 0;
  const m = NAME.exec(body);
  if (!m) throw new Error(`invalid interpolation "\${${body}}": expected a variable name`);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, vars, unset);
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!op) throw new Error(`invalid interpolation "\${${body}}"`);
  const arg = () => interpolate(rest.slice(op.length), vars, unset);
  const value = vars[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (op) {
    case ':-':
      return nonEmpty ? value : arg();
    case '-':
      return set ? value : arg();
    case ':?':
    case '?':
      if (op === ':?' ? nonEmpty : set) return value!;
      throw new Error(`required variable ${name} is ${set ? 'empty' : 'not set'}: ${arg() || 'set it with slipway config:set'}`);
    case ':+':
      return nonEmpty ? arg() : '';
    default:
      return set ? arg() : '';
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go duration (`1m30s`, `10s`, `500ms`, `1.5h`) → seconds, as compose reads `interval` etc. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number' && value >= 0) return value;
  const s = String(value).trim();
  if (s === '0') return 0;
  if (!/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))*$/.test(s))
    throw new Error(`${JSON.stringify(value)} is not a duration (write e.g. 10s, 1m30s, 500ms)`);
  let total = 0;
  for (const [, n, unit] of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(n) * DURATION_UNITS[unit!]!;
  return Math.round(total * 1e9) / 1e9;
}

const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Memory size as Docker reads it (binary units: `512m`, `1g`, `256M`, `1gb`, or bytes) → bytes. */
export function parseMemory(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(String(value).trim());
  const bytes = m ? Math.floor(Number(m[1]) * MEMORY_UNITS[(m[2] ?? '').toLowerCase()]!) : NaN;
  if (!(bytes > 0)) throw new Error(`${JSON.stringify(value)} is not a memory size (write e.g. 512m, 1g, or bytes)`);
  return bytes;
}

/** CPU count (`0.5`, `"2"`) → nano CPUs, Docker's unit for a CPU limit. */
export function parseCpus(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!(n > 0) || String(value).trim() === '') throw new Error(`${JSON.stringify(value)} is not a CPU count (write e.g. 0.5 or 2)`);
  return Math.round(n * 1e9);
}

/** A non-negative integer given as a number or a string (interpolated values are strings). */
export function parseCount(value: unknown, what = 'a whole number'): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new Error(`${JSON.stringify(value)} is not ${what}`);
  return n;
}

/** Compose's boolean: YAML true, or the string "true" an interpolated value leaves. */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && /^(true|yes|1)$/i.test(value.trim()));
}

/**
 * Splits a string command into argv the way compose does (shell words: quotes and backslashes,
 * no variable expansion, no shell); `sh -c` is for users who want a shell.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}

function portNumber(text: string, original: unknown): number {
  const first = text.split('-')[0]!;
  const n = /^\d+$/.test(first) ? Number(first) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new Error(`${JSON.stringify(original)} does not name a container port (1–65535)`);
  return n;
}

/** A `ports:` entry → its container port and whether it also asks for a host port. */
export function parsePortEntry(entry: unknown): { port: number; published: boolean } {
  if (typeof entry === 'number') return { port: portNumber(String(entry), entry), published: false };
  if (typeof entry === 'string') {
    const spec = entry.trim().split('/')[0]!;
    // [[IP:]HOST:]CONTAINER; an IPv6 host IP is bracketed, so the container part follows the last ':'.
    const colon = spec.lastIndexOf(':');
    return { port: portNumber(spec.slice(colon + 1), entry), published: colon >= 0 };
  }
  if (entry && typeof entry === 'object') {
    const long = entry as { target?: unknown; published?: unknown };
    return { port: portNumber(String(long.target ?? ''), entry), published: long.published !== undefined };
  }
  throw new Error(`${JSON.stringify(entry)} does not name a container port`);
}

/** An `expose:` entry (`3000`, `"3000/tcp"`, `"3000-3005"`) → its (first) port. */
export function parseExposeEntry(entry: unknown): number {
  return portNumber(String(entry).trim().split('/')[0]!, entry);
}

export interface VolumeEntry {
  type: string;
  source?: string;
  target: string;
  readOnly: boolean;
}

/** A `volumes:` short-syntax entry `SOURCE:TARGET[:MODE]` (or a bare `TARGET`) → its parts. */
export function parseVolumeShort(entry: string): VolumeEntry {
  const parts = entry.split(':');
  if (parts.length === 1) return { type: 'volume', target: entry, readOnly: false };
  if (parts.length > 3) throw new Error(`${JSON.stringify(entry)} is not SOURCE:TARGET[:MODE]`);
  const [source, target, mode = 'rw'] = parts as [string, string, string?];
  const modes = mode.split(',');
  const unknown = modes.filter((m) => m !== 'ro' && m !== 'rw');
  if (unknown.length) throw new Error(`mode "${unknown.join(',')}" in ${JSON.stringify(entry)} is not supported by Slipway (use ro or rw)`);
  const bind = /^[./~]/.test(source);
  return { type: bind ? 'bind' : 'volume', source, target, readOnly: modes.includes('ro') };
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
