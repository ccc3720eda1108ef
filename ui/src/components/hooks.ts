// Small hooks every page uses: load something from the API (and load it again on demand).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** GET `path` now and whenever `reload()` is called or `path` changes; keeps the last data while
 *  reloading (no flash, no layout shift). `path` null: nothing to load yet. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: path !== null });
  const seq = useRef(0);
  const load = useCallback(() => {
    if (path === null) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (e: Error) => mine === seq.current && setState((s) => ({ data: s.data, error: e.message, loading: false })),
    );
  }, [path]);
  useEffect(load, [load]);
  return { ...state, reload: load };
}
