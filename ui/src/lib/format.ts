// How the dashboard writes times, sizes and rates (pure; also unit-tested from test/unit/ui).

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`; an ISO time beyond 30 days. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 30 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return iso.slice(0, 10);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → `1.5 KB` (binary multiples, as docker and free do). */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

/** A value in a metric's unit, short. */
export function metricValue(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (unit === 'bytes') return bytes(v);
  if (unit === 'bytes/s') return `${bytes(v)}/s`;
  if (unit === 'ms') return `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  if (unit === '% of one CPU') return `${v < 10 ? v.toFixed(1) : Math.round(v)} %`;
  if (unit === 'req/s') return `${v < 10 ? v.toFixed(2) : Math.round(v)} req/s`;
  return String(Math.round(v * 100) / 100);
}

export const shortSha = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : '—');
export const shortDigest = (d: string | null | undefined) => (d ? d.replace(/^sha256:/, '').slice(0, 12) : '—');
