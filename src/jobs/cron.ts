// Schedule arithmetic: which instants a cron expression names in a time zone, with cron's rules
// for the clock changes (vixie cron / cronie): a fixed-time job whose wall time occurs twice
// (autumn) runs once, at the first; one whose wall time the clock skips (spring) runs once, right
// after the change. Wildcard jobs (`*` in the seconds, minutes or hours) follow elapsed time.
// cron-parser does the field arithmetic; this file adds the two DST rules and the checks. Pure.
import { CronExpressionParser, type CronExpression } from 'cron-parser';

export interface CronSchedule {
  cron: string;
  /** IANA zone; absent = the server's local zone. */
  timezone?: string;
}

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
const zoneOf = (s: CronSchedule) => s.timezone ?? localZone();

/** Throws an Error whose message completes "slipway.schedule: …". */
export function checkCron(cron: string): void {
  const fields = expand(cron);
  if (fields.length !== 5 && fields.length !== 6)
    throw new Error(`${JSON.stringify(cron)} has ${fields.length} field${fields.length === 1 ? '' : 's'}: write 5 (minute hour day month weekday), 6 (seconds first), or one of ${Object.keys(ALIASES).join(', ')}`);
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC' }).next();
  } catch (e) {
    throw new Error(`${JSON.stringify(cron)} is not a cron expression: ${(e as Error).message}`);
  }
}

/** Throws unless `zone` is an IANA time zone this Node knows (Europe/Berlin, UTC…). */
export function checkTimezone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`${JSON.stringify(zone)} is not a time zone (write an IANA name such as Europe/Berlin, America/New_York or UTC)`);
  }
}

function expand(cron: string): string[] {
  const t = cron.trim();
  if (t.startsWith('@')) {
    const a = ALIASES[t.toLowerCase()];
    if (!a) throw new Error(`unknown shortcut ${JSON.stringify(t)} (known: ${Object.keys(ALIASES).join(', ')})`);
    return a.split(' ');
  }
  return t.split(/\s+/).filter(Boolean);
}

/** A job at fixed times (no `*` in its seconds, minutes or hours), which DST rules apply to. */
export function isFixedTime(cron: string): boolean {
  const f = expand(cron);
  const timeFields = f.length === 6 ? f.slice(0, 3) : f.slice(0, 2);
  return !timeFields.some((x) => x.startsWith('*'));
}

/** Scheduled instants after `after` (exclusive), in order, forever. */
export function* ticksAfter(s: CronSchedule, after: Date): Generator<Date> {
  const zone = zoneOf(s);
  const expr = CronExpressionParser.parse(expand(s.cron).join(' '), { currentDate: after, tz: zone });
  const fixed = isFixedTime(s.cron);
  let last = after.getTime();
  for (;;) {
    const t = expr.next().toDate();
    if (!fixed) {
      yield t;
      continue;
    }
    if (repeatsEarlierWallTime(t, zone)) continue;
    const change = skippedTo(t, zone, expr);
    // The skipped time runs at the change; `t` itself only if the expression also names it.
    if (change !== null && change.getTime() > last) {
      last = change.getTime();
      yield change;
      if (!matchesWallTime(expr, wall(t, zone))) continue;
    }
    if (t.getTime() > last) {
      last = t.getTime();
      yield t;
    }
  }
}

/** The next `n` scheduled instants after `after`. */
export function nextTicks(s: CronSchedule, after: Date, n: number): Date[] {
  const out: Date[] = [];
  for (const t of ticksAfter(s, after)) {
    if (out.length >= n) break;
    out.push(t);
  }
  return out;
}

export interface TickPlan {
  /** The one tick to run now (the newest due one within the deadline), if any. */
  run: Date | null;
  /** Due ticks that will not run (older than the deadline, or older than `run`), newest `keep` of them. */
  missed: Date[];
  /** Missed ticks not listed one by one (at least this many: downtime beyond the look-back is
   *  counted as one). */
  unlisted: number;
  /** The newest tick decided on: what to persist, so no tick is ever considered twice. */
  through: Date | null;
}

/** Looking back further than this after downtime only counts ticks; it never runs them. */
const LOOKBACK_MS = 3_600_000;
const MAX_TICKS = 5000;

/**
 * What to do at `now` with the ticks after `after` (the last one decided on): never a burst —
 * at most one run, the newest tick no later than `deadlineMs` ago; the others are missed.
 */
export function planTicks(s: CronSchedule, after: Date, now: Date, deadlineMs: number, keep: number): TickPlan {
  const from = new Date(Math.max(after.getTime(), now.getTime() - Math.max(LOOKBACK_MS, 2 * deadlineMs)));
  const due: Date[] = [];
  let unlisted = from.getTime() > after.getTime() ? 1 : 0;
  for (const t of ticksAfter(s, from)) {
    if (t.getTime() > now.getTime() || due.length + unlisted >= MAX_TICKS) break;
    due.push(t);
  }
  const newest = due[due.length - 1] ?? null;
  const run = newest && now.getTime() - newest.getTime() <= deadlineMs ? newest : null;
  const missed = run ? due.slice(0, -1) : due;
  const listed = missed.slice(Math.max(0, missed.length - keep));
  unlisted += missed.length - listed.length;
  return { run, missed: listed, unlisted, through: newest ?? (unlisted ? from : null) };
}

// ---- wall clock helpers (Intl only; no time zone database of our own)

interface Wall {
  date: string;
  h: number;
  m: number;
  s: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(zone, f);
  }
  return f;
}

function wall(t: Date, zone: string): Wall {
  const p = Object.fromEntries(format(zone).formatToParts(t).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, h: Number(p.hour), m: Number(p.minute), s: Number(p.second) };
}

/** Minutes the zone is ahead of UTC at `t`. */
function offset(t: Date, zone: string): number {
  const w = wall(t, zone);
  const asUtc = Date.parse(`${w.date}T${String(w.h).padStart(2, '0')}:${String(w.m).padStart(2, '0')}:${String(w.s).padStart(2, '0')}Z`);
  return Math.round((asUtc - Math.floor(t.getTime() / 1000) * 1000) / 60_000);
}

const sameWall = (a: Wall, b: Wall) => a.date === b.date && a.h === b.h && a.m === b.m && a.s === b.s;
const SIX_HOURS = 6 * 3_600_000;

/** Autumn: the clock went back within the last hours and `t`'s wall time was already shown. */
function repeatsEarlierWallTime(t: Date, zone: string): boolean {
  const back = offset(new Date(t.getTime() - SIX_HOURS), zone) - offset(t, zone);
  if (back <= 0) return false;
  return sameWall(wall(new Date(t.getTime() - back * 60_000), zone), wall(t, zone));
}

/**
 * Spring: when `t` is a time the parser moved past a gap (02:30 → 03:30 on the night the clock
 * jumps 02:00 → 03:00), the instant of the change; else null.
 */
function skippedTo(t: Date, zone: string, expr: CronExpression): Date | null {
  const jump = offset(t, zone) - offset(new Date(t.getTime() - SIX_HOURS), zone);
  if (jump <= 0) return null;
  const w = wall(t, zone);
  const minutes = w.h * 60 + w.m - jump;
  if (minutes < 0) return null;
  const intended: Wall = { date: w.date, h: Math.floor(minutes / 60), m: minutes % 60, s: w.s };
  if (!matchesWallTime(expr, intended)) return null;
  // Binary search for the change between t - 6 h and t (to the second).
  let lo = t.getTime() - SIX_HOURS;
  let hi = t.getTime();
  const before = offset(new Date(lo), zone);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offset(new Date(mid), zone) === before) lo = mid;
    else hi = mid;
  }
  const change = new Date(hi);
  // The intended wall time must lie in the gap the change made (it did not exist).
  const gapStart = wall(new Date(hi - 1000), zone);
  const startMin = gapStart.h * 60 + gapStart.m;
  const after = wall(change, zone);
  return gapStart.date === w.date && minutes > startMin && minutes < after.h * 60 + after.m ? change : null;
}

function matchesWallTime(expr: CronExpression, w: Wall): boolean {
  const f = expr.fields;
  const has = (values: readonly (number | string)[], v: number) => values.includes(v);
  return has(f.second.values, w.s) && has(f.minute.values, w.m) && has(f.hour.values, w.h);
}
