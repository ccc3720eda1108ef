// Validation against the Compose Specification's JSON Schema (draft-07, copied into the repo at
// schemas/compose-spec.json), with Ajv's errors reduced to one message per key a user can act on.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { KeyPath, Problems } from './compose-source.js';

// Same relative path from src/deploy/ (tsx) and dist/deploy/ (tsc): both sit two levels below the root.
const SCHEMA_URL = new URL('../../schemas/compose-spec.json', import.meta.url);

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsPlugin as { default?: unknown }).default ?? addFormatsPlugin) as (ajv: Ajv) => Ajv;

// Compiling the schema takes tens of milliseconds; the result is immutable, so it is kept.
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
  // The file names draft-07 as https://json-schema.org/draft-07/schema, which Ajv knows only by
  // its http:// id; Ajv's default class is draft-07, so the declaration adds nothing.
  delete schema.$schema;
  // strict: false because the schema uses annotations Ajv's strict mode rejects (`deprecated`).
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  compiled = ajv.compile(schema);
  return compiled;
}

const SHAPE = new Set(['type', 'oneOf', 'anyOf', 'if', 'then', 'else', 'not']);
const tag = ' (Compose Specification)';

/** Adds one problem per faulty key of `data` against the compose schema; returns whether it passed. */
export function checkComposeSchema(data: unknown, problems: Problems): boolean {
  const validate = validator();
  if (validate(data)) return true;
  const groups = new Map<string, { path: KeyPath; errors: ErrorObject[] }>();
  for (const e of validate.errors ?? []) {
    const path = toPath(e.instancePath);
    const k = JSON.stringify(path);
    const g = groups.get(k) ?? { path, errors: [] };
    g.errors.push(e);
    groups.set(k, g);
  }
  const all = [...groups.values()];
  for (const g of all) {
    const shapeOnly = g.errors.every((e) => SHAPE.has(e.keyword));
    // A oneOf over "string, list or map" fails every branch; the deeper error is the useful one.
    if (shapeOnly && all.some((o) => o !== g && isUnder(o.path, g.path))) continue;
    for (const [path, message] of describe(g.path, g.errors)) problems.add(path, message);
  }
  return false;
}

function describe(path: KeyPath, errors: ErrorObject[]): [KeyPath, string][] {
  const out: [KeyPath, string][] = [];
  const specific = errors.filter((e) => !SHAPE.has(e.keyword));
  for (const e of specific) {
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      // Under `services:`/`volumes:` every key is a name the schema's pattern refused.
      const named = path.length === 1 && (path[0] === 'services' || path[0] === 'volumes');
      out.push([[...path, key], named ? `not a valid name (letters, digits, ".", "_", "-")${tag}` : "unknown key: not in the Compose Specification"]);
    } else if (e.keyword === 'required') {
      out.push([path, `missing required key "${(e.params as { missingProperty: string }).missingProperty}"${tag}`]);
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ');
      out.push([path, `must be one of: ${allowed}${tag}`]);
    } else {
      out.push([path, `${e.message ?? 'invalid'}${tag}`]);
    }
  }
  if (out.length) return out;
  const types = [...new Set(errors.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type: string }).type)))];
  const words = types.flatMap((t) => t.split(',')).map((t) => (t === 'array' ? 'a list' : t === 'object' ? 'a map' : `a ${t}`));
  return [[path, `must be ${words.length ? [...new Set(words)].join(' or ') : 'of another form'}${tag}`]];
}

function toPath(pointer: string): KeyPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function isUnder(path: KeyPath, ancestor: KeyPath): boolean {
  return path.length > ancestor.length && ancestor.every((s, i) => s === path[i]);
}
