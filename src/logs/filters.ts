// What users type into `slipway logs` and `?since=…&release=…` → LogFilters. Pure; a bad value
// is a UserError that says what would have been accepted.
import { UserError } from '../errors.js';
import type { LogFilters } from './entry.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m`, `2h`, `90s`, `1d`, `1h30m` (before now) or an ISO date/time. */
export function parseSince(text: string, now: Date = new Date()): Date {
  const t = text.trim();
  if (/^(\d+[smhd])+$/.test(t)) {
    let ms = 0;
    for (const [, n, u] of t.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNITS[u!]!;
    return new Date(now.getTime() - ms);
  }
  if (/^\d{4}-\d\d-\d\d/.test(t)) {
    const d = new Date(t);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new UserError(`cannot read time "${text}": use a duration such as 10m, 2h, 1d, or an ISO time such as 2024-05-01T10:00:00Z`);
}

/** `v7` or `7` → 7. */
export function parseRelease(text: string): number {
  const m = /^v?(\d+)$/i.exec(text.trim());
  if (!m) throw new UserError(`release "${text}" is not a release version: use v7 or 7`);
  return Number(m[1]);
}

export const DEFAULT_LINES = 100;
export const MAX_LINES = 100_000;

/** Query-string values (strings, or absent) → filters for `app`. */
export function filtersFromQuery(app: string, q: Record<string, unknown>, now: Date = new Date()): LogFilters {
  const str = (k: string): string | undefined => {
    const v = q[k];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw new UserError(`query parameter ${k} must be given once`);
    return v;
  };
  const f: LogFilters = { app, limit: DEFAULT_LINES };
  const service = str('service');
  const stream = str('stream');
  const release = str('release');
  const since = str('since');
  const until = str('until');
  const grep = str('grep');
  const n = str('n');
  if (service) f.service = service;
  if (stream) {
    if (!/^(stdout|stderr|build|deploy|file(:.+)?)$/.test(stream)) {
      throw new UserError(`stream "${stream}" is not one of stdout, stderr, build, deploy, file, file:/path`);
    }
    f.stream = stream;
  }
  if (release) f.release = parseRelease(release);
  if (since) f.since = parseSince(since, now);
  if (until) f.until = parseSince(until, now);
  if (grep) f.grep = grep;
  if (n) {
    const v = Number(n);
    if (!Number.isInteger(v) || v < 1 || v > MAX_LINES) throw new UserError(`n must be a whole number from 1 to ${MAX_LINES}`);
    f.limit = v;
  }
  return f;
}
