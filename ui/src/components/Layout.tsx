// The frame of every signed-in page: the top bar (apps, who is signed in, sign out) and, on an
// app's pages, its tabs.
import type { ComponentChildren } from 'preact';
import { appHref } from '../router';

const TABS = [
  ['', 'Overview'],
  ['deploys', 'Deploys'],
  ['logs', 'Logs'],
  ['metrics', 'Metrics'],
  ['jobs', 'Jobs'],
] as const;

export function Layout(props: { user: string; onSignOut: () => void; app?: string; tab?: string; children: ComponentChildren }) {
  return (
    <div class="frame">
      <header class="topbar">
        <a class="brand" href="/">
          <img src="/favicon.svg" alt="" width="22" height="22" />
          <span>Slipway</span>
        </a>
        {props.app && (
          <span class="crumb">
            <span aria-hidden="true">/</span> <a href={appHref(props.app)}>{props.app}</a>
          </span>
        )}
        <span class="spacer" />
        <span class="who" title="signed in as">{props.user}</span>
        <button type="button" class="ghost" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      {props.app && (
        <nav class="tabs" aria-label={`${props.app} pages`}>
          {TABS.map(([sub, label]) => (
            <a href={appHref(props.app!, sub)} aria-current={props.tab === sub ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
      )}
      <main class="content">{props.children}</main>
    </div>
  );
}

export function StateBadge(props: { state: string | null }) {
  const s = props.state ?? 'unknown';
  return <span class={`badge state-${s}`}>{s}</span>;
}

export function ErrorLine(props: { error: string | null }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}
