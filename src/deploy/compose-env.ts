// compose `env_file:`: which files of the repo a service reads its environment from, and how an
// env file is read (compose's format), with problems named by file and line.
import * as rules from './compose-rules.js';
import type { KeyPath, Problems } from './compose-source.js';
import { isRecord, isTrue } from './compose-values.js';

/** `env_file:` (a path, a list, or `{path, required}` entries), later files winning, as compose reads them. */
export function envFiles(v: unknown, base: KeyPath, problems: Problems, readFile?: (relPath: string) => string | null): Record<string, string> {
  const out: Record<string, string> = {};
  (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]).forEach((entry, i) => {
    const at: KeyPath = [...base, 'env_file', ...(Array.isArray(v) ? [i] : [])];
    const file = isRecord(entry) ? String(entry.path ?? '') : String(entry);
    const required = isRecord(entry) ? entry.required === undefined || isTrue(entry.required) : true;
    if (isRecord(entry)) rules.checkKeys(entry, at, rules.ENV_FILE_KEYS, problems);
    const rel = file.replace(/^\.\//, '');
    if (!rel || rel.startsWith('/') || rel.split('/').includes('..')) {
      problems.add(at, `${JSON.stringify(file)}: env files must be paths inside the repository`);
      return;
    }
    let text: string | null;
    try {
      text = readFile?.(rel) ?? null;
    } catch (e) {
      problems.add(at, (e as Error).message);
      return;
    }
    if (text === null) {
      if (required) problems.add(at, `${rel} is not in the repository (mark it \`required: false\` if it is optional)`);
      return;
    }
    try {
      Object.assign(out, parseEnvFile(text));
    } catch (e) {
      problems.add(at, `${rel} ${(e as Error).message}`);
    }
  });
  return out;
}

/**
 * An env file as compose reads it: `KEY=VALUE` lines, `#` comments and blank lines, an optional
 * `export ` prefix; 'single quotes' keep the text as written, "double quotes" understand \n, \t,
 * \" and \\; an unquoted value ends at ` #`. A bare `KEY` (compose: from the shell) is left out:
 * every container gets all of the app's config anyway. Throws naming the first bad line.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=(.*))?$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: expected KEY=VALUE, got ${JSON.stringify(line.slice(0, 60))}`);
    const key = m[1]!;
    if (m[2] !== undefined) out[key] = envFileValue(m[2].trim(), i + 1);
  });
  return out;
}

function envFileValue(v: string, line: number): string {
  if (v.startsWith("'")) {
    const end = v.indexOf("'", 1);
    if (end < 0) throw new Error(`line ${line}: the single quote is not closed`);
    return v.slice(1, end);
  }
  if (v.startsWith('"')) {
    let end = 1;
    for (; end < v.length && v[end] !== '"'; end++) if (v[end] === '\\') end++;
    if (end >= v.length) throw new Error(`line ${line}: the double quote is not closed`);
    return v.slice(1, end).replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
  }
  const comment = v.search(/\s#/);
  return (comment < 0 ? v : v.slice(0, comment)).trim();
}
