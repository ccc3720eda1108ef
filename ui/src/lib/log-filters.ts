// The logs page's filters ⇄ its URL (so a view can be shared) ⇄ the API's query. Pure.

export interface LogView {
  service: string;
  stream: string;
  release: string;
  since: string;
  until: string;
  grep: string;
}

export const EMPTY_VIEW: LogView = { service: '', stream: '', release: '', since: '', until: '', grep: '' };
const KEYS = Object.keys(EMPTY_VIEW) as (keyof LogView)[];

export function viewFromSearch(search: string): LogView {
  const q = new URLSearchParams(search);
  const v = { ...EMPTY_VIEW };
  for (const k of KEYS) v[k] = q.get(k) ?? '';
  return v;
}

/** Only the filters that are set, in a fixed order: `?service=web&grep=timeout`. */
export function searchFromView(v: LogView): string {
  const q = new URLSearchParams();
  for (const k of KEYS) if (v[k].trim()) q.set(k, v[k].trim());
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The API query: the same names, plus how many earlier lines to show and whether to follow.
 *  An `until` in the past has nothing live to follow. */
export function apiQuery(v: LogView, backlog: number): { path: string; follow: boolean } {
  const q = new URLSearchParams(searchFromView(v).slice(1));
  q.set('n', String(backlog));
  const follow = !v.until.trim();
  if (follow) q.set('follow', '1');
  return { path: `logs?${q.toString()}`, follow };
}
