// An app's logs: a live tail across its services (server-sent events), filters (service, stream,
// release, time range) and full-text search over the store, all in the URL so a view can be
// shared. Lines are drawn by a virtual list: 100 000 of them scroll like 100.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, appPath, events } from '../api';
import { useApi } from '../components/hooks';
import { ErrorLine } from '../components/Layout';
import { VirtualList } from '../components/VirtualList';
import { apiQuery, searchFromView, viewFromSearch, type LogView } from '../lib/log-filters';
import { appHref, navigate } from '../router';
import type { LogEntry } from '../types';

/** Lines kept in the page; the oldest go first beyond it. */
export const MAX_LINES = 100_000;
const BACKLOG = 2000;
const ROW = 20;

export function LogsPage(props: { app: string; search: string }) {
  const view = viewFromSearch(props.search);
  const [draft, setDraft] = useState<LogView>(view);
  const services = useApi<{ services: { name: string }[] }>(appPath(props.app));
  const lines = useRef<LogEntry[]>([]);
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState<{ live: boolean; error: string | null }>({ live: false, error: null });
  const [picked, setPicked] = useState<LogEntry | null>(null);

  useEffect(() => setDraft(viewFromSearch(props.search)), [props.search]);

  useEffect(() => {
    lines.current = [];
    setVersion((v) => v + 1);
    setPicked(null);
    const q = apiQuery(viewFromSearch(props.search), BACKLOG);
    if (!q.follow) {
      setStatus({ live: false, error: null });
      api<LogEntry[]>(appPath(props.app, q.path)).then(
        (list) => {
          lines.current = list;
          setVersion((v) => v + 1);
        },
        (e: Error) => setStatus({ live: false, error: e.message }),
      );
      return;
    }
    const source = events(appPath(props.app, q.path));
    let frame = 0;
    const pending: LogEntry[] = [];
    let opened = false;
    source.onopen = () => {
      // A reconnect sends the backlog again: start over rather than show lines twice.
      if (opened) {
        lines.current = [];
        pending.length = 0;
      }
      opened = true;
      setStatus({ live: true, error: null });
    };
    source.onerror = () => setStatus({ live: false, error: source.readyState === EventSource.CLOSED ? 'The log stream was refused (check the filters).' : null });
    source.onmessage = (e: MessageEvent<string>) => {
      pending.push(JSON.parse(e.data) as LogEntry);
      if (frame) return;
      // One draw per frame however fast lines come.
      frame = requestAnimationFrame(() => {
        frame = 0;
        const all = lines.current;
        all.push(...pending.splice(0));
        if (all.length > MAX_LINES) all.splice(0, all.length - MAX_LINES);
        setVersion((v) => v + 1);
      });
    };
    return () => {
      source.close();
      cancelAnimationFrame(frame);
    };
  }, [props.app, props.search]);

  const apply = (v: LogView) => navigate(appHref(props.app, 'logs') + searchFromView(v), true);
  const set = (k: keyof LogView) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const setNow = (k: keyof LogView) => (e: Event) => {
    const next = { ...draft, [k]: (e.target as HTMLSelectElement).value };
    setDraft(next);
    apply(next);
  };
  const names = ['', ...(services.data?.services.map((s) => s.name) ?? []), 'build', 'deploy'];
  const needle = view.grep.toLowerCase();

  return (
    <section class="logs-page">
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <label class="field search">
          Search
          <input name="grep" type="search" value={draft.grep} onInput={set('grep')} placeholder="text in the line" spellcheck={false} />
        </label>
        <label class="field">
          Service
          <select name="service" value={draft.service} onChange={setNow('service')}>
            {names.map((n) => (
              <option value={n}>{n || 'all'}</option>
            ))}
          </select>
        </label>
        <label class="field">
          Stream
          <select name="stream" value={draft.stream} onChange={setNow('stream')}>
            {['', 'stdout', 'stderr', 'build', 'deploy', 'file'].map((n) => (
              <option value={n}>{n || 'all'}</option>
            ))}
          </select>
        </label>
        <label class="field narrow">
          Release
          <input name="release" value={draft.release} onInput={set('release')} placeholder="v3" size={4} />
        </label>
        <label class="field">
          Since
          <select name="since" value={draft.since} onChange={setNow('since')}>
            {['', '5m', '15m', '1h', '6h', '24h', '7d'].map((n) => (
              <option value={n}>{n || 'any time'}</option>
            ))}
          </select>
        </label>
        <label class="field narrow">
          Until
          <input name="until" value={draft.until} onInput={set('until')} placeholder="10m or ISO" size={8} />
        </label>
        <button type="submit" class="primary">
          Apply
        </button>
      </form>
      <div class="logs-status">
        <span class={status.live ? 'badge live-badge' : 'badge'}>{status.live ? 'live' : view.until ? 'until ' + view.until : 'connecting'}</span>
        <span class="muted">
          {lines.current.length.toLocaleString()} line{lines.current.length === 1 ? '' : 's'}
          {lines.current.length >= MAX_LINES ? ' (the newest 100 000)' : ''}
        </span>
      </div>
      <ErrorLine error={status.error} />
      <VirtualList
        items={lines.current}
        version={version}
        rowHeight={ROW}
        label="log lines"
        row={(e) => (
          <button type="button" class={`logline stream-${e.stream}`} onClick={() => setPicked(e)} title={e.line}>
            <span class="ts">{e.ts.slice(11, 23)}</span> <span class="svc">{e.service}</span> <span class="text">{highlight(e.line, needle)}</span>
          </button>
        )}
      />
      <div class="picked" aria-live="polite">
        {picked ? (
          <>
            <span class="muted">
              {picked.ts} {picked.service}
              {picked.container ? `.${picked.container}` : ''} {picked.stream}
              {picked.release ? ` v${picked.release}` : ''}
            </span>
            <pre>{picked.line}</pre>
          </>
        ) : (
          <span class="muted">Select a line to see all of it.</span>
        )}
      </div>
    </section>
  );
}

function highlight(line: string, needle: string) {
  if (!needle) return line;
  const i = line.toLowerCase().indexOf(needle);
  if (i < 0) return line;
  return (
    <>
      {line.slice(0, i)}
      <mark>{line.slice(i, i + needle.length)}</mark>
      {line.slice(i + needle.length)}
    </>
  );
}
