// A compose file as text with positions: YAML parsed with a LineCounter, values interpolated in
// place (so every node keeps its line), and a list of problems that each name a key path and
// are reported as `file:line:col: path: message`, all at once.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { UserError } from '../errors.js';
import { interpolate } from './compose-values.js';

export type KeyPath = (string | number)[];

/** `services.web.ports[0]` */
export function formatPath(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export interface ComposeSource {
  file: string;
  /** The document as plain data, after interpolation, aliases and `<<` merges resolved. */
  data: unknown;
  /** `file:line:col` of the key (or list item) at `path`, or of its nearest ancestor in the text. */
  at(path: KeyPath): string;
}

/** How many problems a report lists; the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 50;

/** Problems collected over a whole file, so the user fixes them in one round, not one per push. */
export class Problems {
  private readonly list: { path: KeyPath; message: string }[] = [];
  /** The segments of every spot with a problem: a hostile file has thousands, so lookups are by key. */
  private readonly spots = new Set<string>();

  add(path: KeyPath, message: string): void {
    // One message per spot: a later check on a value (or inside a value) already faulted adds nothing.
    // By segments, not text: label `slipway.job.retries` is not under label `slipway.job`.
    let key = '';
    for (const segment of path) {
      key += `\u0000${String(segment)}`;
      if (this.spots.has(key)) return;
    }
    if (this.spots.has(key)) return;
    this.spots.add(key);
    this.list.push({ path, message });
  }

  get size(): number {
    return this.list.length;
  }

  /** Throws one UserError listing the problems in file order, one per line (the first 50, then how many more). */
  throwIfAny(source: Pick<ComposeSource, 'file' | 'at'>): void {
    if (!this.list.length) return;
    const all = this.list
      .map((p) => ({ at: source.at(p.path), text: p.path.length ? `${formatPath(p.path)}: ${p.message}` : p.message }))
      .map((p) => ({ ...p, order: p.at.split(':').slice(-2).map(Number) as [number, number] }))
      .sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);
    const n = all.length;
    const lines = all.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `${p.at}: ${p.text}`);
    if (n > MAX_PROBLEMS_SHOWN) lines.push(`… and ${n - MAX_PROBLEMS_SHOWN} more problem${n - MAX_PROBLEMS_SHOWN === 1 ? '' : 's'} (fix these and push again to see them)`);
    throw new UserError(`${source.file}: ${n} problem${n === 1 ? '' : 's'} to fix before Slipway can deploy it:\n${lines.join('\n')}`);
  }
}

/**
 * Parses the YAML (throwing a UserError with each syntax error's line) and interpolates
 * `${VAR}` in every string value from `vars`; interpolation errors go to `problems`.
 */
export function readComposeSource(
  text: string,
  file: string,
  vars: Record<string, string>,
  problems: Problems,
  warn: (line: string) => void,
): ComposeSource {
  const lineCounter = new LineCounter();
  // Compose files use `<<: *defaults` merge keys (go-yaml supports them); YAML 1.2 needs them enabled.
  // uniqueKeys: the library compares each key with every earlier one of its map (quadratic: 8,000
  // keys held the event loop for seconds); duplicateKeys does the same check with a set per map.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: false });
  const errors = [...doc.errors.map((e) => ({ offset: e.pos[0], message: e.message.split('\n')[0] })), ...duplicateKeys(doc.contents)];
  if (errors.length) {
    const lines = errors.slice(0, MAX_PROBLEMS_SHOWN).map((e) => {
      const pos = lineCounter.linePos(e.offset);
      return `${file}:${pos.line}:${pos.col}: YAML syntax: ${e.message}`;
    });
    if (errors.length > MAX_PROBLEMS_SHOWN) lines.push(`… and ${errors.length - MAX_PROBLEMS_SHOWN} more`);
    throw new UserError(`${file} is not valid YAML:\n${lines.join('\n')}`);
  }
  const at = (path: KeyPath) => {
    const pos = lineCounter.linePos(offsetOf(doc, path));
    return `${file}:${pos.line}:${pos.col}`;
  };
  const unset = new Map<string, KeyPath>();
  interpolateNode(doc.contents, [], vars, problems, unset);
  for (const [name, path] of unset) warn(`${at(path)}: ${formatPath(path)}: ${name} is not set in the app's config; using an empty string`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  return { file, data, at };
}

/** A key written twice in one map (YAML forbids it), each with its offset; linear in the document. */
function duplicateKeys(root: unknown): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  const walk = (node: unknown) => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key)) {
          if (seen.has(key.value)) found.push({ offset: key.range?.[0] ?? 0, message: 'Map keys must be unique' });
          seen.add(key.value);
        }
        walk(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    }
  };
  walk(root);
  return found;
}

function interpolateNode(node: unknown, path: KeyPath, vars: Record<string, string>, problems: Problems, unset: Map<string, KeyPath>): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      interpolateNode(pair.value, [...path, key], vars, problems, unset);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => interpolateNode(item, [...path, i], vars, problems, unset));
  } else if (isScalar(node) && typeof node.value === 'string') {
    try {
      node.value = interpolate(node.value, vars, (name) => unset.has(name) || unset.set(name, path));
    } catch (e) {
      problems.add(path, (e as Error).message);
    }
  }
  // An alias shares its anchor's node, which is interpolated where it is defined.
}

/** Source offset of the node at `path`: a map key's own position, through aliases and merges. */
function offsetOf(doc: Document, path: KeyPath): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    const found = child(doc, node, segment);
    if (!found) break;
    offset = found.offset;
    node = found.node;
  }
  return offset;
}

type Found = { node: unknown; offset: number };

/** Each map's keys, indexed once: looking up thousands of keys in one map stays linear. */
const keyIndex = new WeakMap<object, Map<string, Found>>();

function keysOf(map: YAMLMap<unknown, unknown>): Map<string, Found> {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const key = pair.key;
      if (!isScalar(key) || !key.range) continue;
      const k = String(key.value);
      if (!index.has(k)) index.set(k, { node: pair.value, offset: key.range[0] });
    }
    keyIndex.set(map, index);
  }
  return index;
}

function child(doc: Document, node: unknown, segment: string | number): Found | null {
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment] as Node | undefined;
    return item?.range ? { node: item, offset: item.range[0] } : null;
  }
  if (!isMap(node)) return null;
  const own = keysOf(node).get(String(segment));
  if (own) return own;
  // Not written here: look in what `<<: *anchor` (or a list of anchors) merges in.
  for (const pair of node.items) {
    // With `merge: true` the key's value is a symbol; its source text is still `<<`.
    if (!isScalar(pair.key) || (pair.key.source !== '<<' && pair.key.value !== '<<')) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const s of sources) {
      const found = child(doc, isAlias(s) ? s.resolve(doc) : s, segment);
      if (found) return found;
    }
  }
  return null;
}
