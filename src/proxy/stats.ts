// HAProxy's own counters per backend, from `show stat` on the Runtime API, and the access-log
// lines (ACCESS_LOG_FORMAT in haproxy-config.ts) Slipway times requests with. Pure parsers.
import { colorOfSlot } from './haproxy-config.js';

/** One backend's counters (cumulative since the HAProxy worker started) and gauges. */
export interface BackendStats {
  backend: string;
  requests: number;
  r2xx: number;
  r4xx: number;
  r5xx: number;
  /** Current sessions (requests being served). */
  sessions: number;
  /** Requests waiting for a free server. */
  queue: number;
}

/** `show stat -1 2 -1`: backends only. */
export const SHOW_BACKEND_STATS = 'show stat -1 2 -1';

/** Parses `show stat` CSV: the BACKEND rows of app backends (names with `_`). */
export function parseBackendStats(csv: string): BackendStats[] {
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const col = (name: string) => header.indexOf(name);
  const [iPx, iSv, iScur, iQcur, iReq, iStot, i2, i4, i5] = ['pxname', 'svname', 'scur', 'qcur', 'req_tot', 'stot', 'hrsp_2xx', 'hrsp_4xx', 'hrsp_5xx'].map(col) as number[];
  if (iPx! < 0 || iSv! < 0 || iScur! < 0) throw new Error(`unexpected show stat answer: ${csv.slice(0, 200)}`);
  const num = (f: string[], i: number | undefined) => (i === undefined || i < 0 ? 0 : Number(f[i]) || 0);
  const out: BackendStats[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[iSv!] !== 'BACKEND' || !f[iPx!]?.includes('_')) continue;
    out.push({
      backend: f[iPx!]!,
      // Backends count HTTP requests in req_tot (HAProxy ≥ 2.0); sessions otherwise.
      requests: iReq! >= 0 && f[iReq!] !== '' ? num(f, iReq) : num(f, iStot),
      r2xx: num(f, i2),
      r4xx: num(f, i4),
      r5xx: num(f, i5),
      sessions: num(f, iScur),
      queue: num(f, iQcur),
    });
  }
  return out;
}

/** Requests each slot is handling or queueing now (scur + qcur), by slot name. */
export function parseSlotLoad(csv: string): Map<string, number> {
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const [iSv, iScur, iQcur] = ['svname', 'scur', 'qcur'].map((c) => header.indexOf(c)) as [number, number, number];
  const out = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const slot = f[iSv] ?? '';
    if (colorOfSlot(slot)) out.set(slot, (Number(f[iScur]) || 0) + (Number(f[iQcur]) || 0));
  }
  return out;
}

export interface AccessLine {
  backend: string;
  status: number;
  ms: number;
}

/** One line as HAProxy sends it (`format raw`); null for anything else. */
export function parseAccessLine(text: string): AccessLine | null {
  const m = /^(\S+) (-?\d+) (-?\d+)\s*$/.exec(text);
  if (!m) return null;
  return { backend: m[1]!, status: Number(m[2]), ms: Number(m[3]) };
}
