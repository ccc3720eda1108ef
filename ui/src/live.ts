// One server-sent event stream (/api/events) shared by every page: components subscribe to the
// changes they draw and re-read only then — pushed by the server, never polled.
import { useEffect, useRef } from 'preact/hooks';
import { events } from './api';
import type { Change } from './types';

type Listener = (kind: string, data: unknown) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;

function connect(): void {
  if (source) return;
  source = events('events');
  for (const kind of ['app', 'deployment', 'metrics', 'run'])
    source.addEventListener(kind, (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as unknown;
      listeners.forEach((l) => l(kind, data));
    });
  // After a reconnect something may have changed unseen: tell everyone to re-read.
  let opened = false;
  source.addEventListener('open', () => {
    if (opened) listeners.forEach((l) => l('reconnected', null));
    opened = true;
  });
}

export function disconnectLive(): void {
  source?.close();
  source = null;
}

/**
 * Calls `onChange` when an event of `kinds` arrives (for `app`, when given), at most once per
 * `minGapMs` (a burst of deploy events becomes one re-read).
 */
export function useLive(kinds: string[], onChange: () => void, opts: { app?: string; minGapMs?: number } = {}): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  const key = kinds.join(',') + '|' + (opts.app ?? '');
  useEffect(() => {
    connect();
    let timer: number | undefined;
    let last = 0;
    const gap = opts.minGapMs ?? 250;
    const fire = () => {
      timer = undefined;
      last = Date.now();
      latest.current();
    };
    const l: Listener = (kind, data) => {
      if (kind !== 'reconnected' && !kinds.includes(kind)) return;
      if (opts.app && data && (data as Change).app !== undefined && (data as Change).app !== opts.app) return;
      if (timer !== undefined) return;
      timer = window.setTimeout(fire, Math.max(50, gap - (Date.now() - last)));
    };
    listeners.add(l);
    return () => {
      listeners.delete(l);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key]);
}

/** Every deployment event (for the deploys page, which needs the ids as they come). */
export function useDeploymentEvents(app: string, onEvent: (c: Extract<Change, { kind: 'deployment' }>) => void): void {
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => {
    connect();
    const l: Listener = (kind, data) => {
      if (kind === 'deployment' && (data as Change).app === app) latest.current(data as Extract<Change, { kind: 'deployment' }>);
    };
    listeners.add(l);
    return () => void listeners.delete(l);
  }, [app]);
}
