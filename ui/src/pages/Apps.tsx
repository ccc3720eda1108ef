// Every app: state, serving release, URL, last deploy and what started it, requests/s and CPU
// over the last hour. Created and destroyed here (destroy asks for the name). Live: re-read when
// the server says an app or a deployment changed, and the sparklines when a new sample is stored.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useApi } from '../components/hooks';
import { ConfirmDialog } from '../components/Dialog';
import { ErrorLine, StateBadge } from '../components/Layout';
import { Sparkline } from '../components/Sparkline';
import { ago } from '../lib/format';
import { useLive } from '../live';
import { appHref, navigate } from '../router';
import type { AppSummary, AppTotals } from '../types';

export function AppsPage() {
  const apps = useApi<AppSummary[]>('apps');
  const totals = useApi<AppTotals>('metrics?since=1h&points=30');
  const [creating, setCreating] = useState(false);
  const [destroying, setDestroying] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useLive(['app', 'deployment'], apps.reload);
  useLive(['metrics'], totals.reload, { minGapMs: 5000 });

  const list = apps.data ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>Apps</h1>
        <span class="muted count">{apps.data ? `${list.length} app${list.length === 1 ? '' : 's'}` : ''}</span>
        <span class="spacer" />
        <button type="button" class="primary" onClick={() => setCreating(true)} aria-expanded={creating}>
          New app
        </button>
      </div>
      {creating && (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const name = ((e.currentTarget as HTMLFormElement).elements.namedItem('name') as HTMLInputElement).value.trim();
            setError(null);
            api<AppSummary>('apps', { method: 'POST', body: { name } }).then(
              () => {
                setCreating(false);
                apps.reload();
                navigate(appHref(name));
              },
              (err: Error) => setError(err.message),
            );
          }}
        >
          <label class="field">
            Name
            <input name="name" autoFocus required pattern="[a-z][a-z0-9-]*" autocomplete="off" spellcheck={false} placeholder="my-app" />
          </label>
          <button type="submit" class="primary">
            Create
          </button>
          <button type="button" class="ghost" onClick={() => setCreating(false)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorLine error={error ?? apps.error} />
      {apps.data && list.length === 0 && <p class="empty">No apps yet. Create one, then `git push` to it.</p>}
      <table class="apps" aria-busy={apps.loading && !apps.data}>
        <thead>
          <tr>
            <th>App</th>
            <th>State</th>
            <th>Release</th>
            <th class="hide-narrow">URL</th>
            <th>Last deploy</th>
            <th class="hide-narrow">req/s</th>
            <th class="hide-narrow">CPU</th>
            <th>
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.name} data-app={a.name}>
              <td class="name" data-label="App">
                <a href={appHref(a.name)}>{a.name}</a>
              </td>
              <td data-label="State">
                <StateBadge state={a.state} />
              </td>
              <td data-label="Release">{a.release ?? '—'}</td>
              <td class="hide-narrow url" data-label="URL">
                <a href={a.url} target="_blank" rel="noopener noreferrer" data-external>
                  {a.url.replace(/^https?:\/\//, '')}
                </a>
              </td>
              <td data-label="Last deploy">
                {a.lastDeploy ? (
                  <a href={appHref(a.name, `deploys/${a.lastDeploy.id}`)} class={`deploy-${a.lastDeploy.status}`}>
                    {a.lastDeploy.trigger} · {a.lastDeploy.status} · {ago(a.lastDeploy.at)}
                  </a>
                ) : (
                  <span class="muted">never</span>
                )}
              </td>
              <td class="hide-narrow">
                <Sparkline values={totals.data?.apps[a.name]?.requests} label={`${a.name} requests`} unit="req/s" />
              </td>
              <td class="hide-narrow">
                <Sparkline values={totals.data?.apps[a.name]?.cpu} label={`${a.name} CPU`} unit="%" />
              </td>
              <td class="actions">
                <button type="button" class="ghost small danger-text" onClick={() => setDestroying(a.name)} aria-label={`Destroy ${a.name}`}>
                  Destroy
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {destroying && (
        <ConfirmDialog
          title={`Destroy ${destroying}?`}
          confirmLabel="Destroy"
          danger
          typeToConfirm={destroying}
          onClose={() => setDestroying(null)}
          onConfirm={() =>
            void api(`apps/${encodeURIComponent(destroying)}?confirm=${encodeURIComponent(destroying)}`, { method: 'DELETE' }).then(apps.reload, (e: Error) =>
              setError(e.message),
            )
          }
        >
          <p>Its containers, releases, config and data go. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
