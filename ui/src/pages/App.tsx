// One app: its releases (Rollback per release, confirmed, then the rollout live), config vars
// (hidden until revealed; set/unset make a release), scale per service, containers (ps), and the
// git remote and webhook URLs to copy. Re-read when the server says a deployment of it changed.
import { useState } from 'preact/hooks';
import { api, appPath } from '../api';
import { CopyButton } from '../components/CopyButton';
import { DeployOutput } from '../components/DeployOutput';
import { ConfirmDialog } from '../components/Dialog';
import { useApi } from '../components/hooks';
import { ErrorLine, StateBadge } from '../components/Layout';
import { ago, shortDigest, shortSha } from '../lib/format';
import { useLive } from '../live';
import { appHref } from '../router';
import type { AppSummary, ContainerInfo, ReleaseInfo, Webhooks } from '../types';

type AppDetail = AppSummary & { services: { name: string; role: string; replicas: number }[] };

export function AppPage(props: { app: string }) {
  const app = useApi<AppDetail>(appPath(props.app));
  const releases = useApi<ReleaseInfo[]>(appPath(props.app, 'releases'));
  const ps = useApi<ContainerInfo[]>(appPath(props.app, 'ps'));
  const config = useApi<Record<string, string>>(appPath(props.app, 'config'));
  const hooks = useApi<Webhooks>(appPath(props.app, 'webhooks'));
  const [running, setRunning] = useState<{ id: number; what: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useLive(
    ['deployment'],
    () => {
      app.reload();
      releases.reload();
      ps.reload();
      config.reload();
    },
    { app: props.app, minGapMs: 500 },
  );

  /** Starts a change (rollback, config, scale) and shows its rollout live. */
  const start = (what: string, path: string, body: unknown) => {
    setError(null);
    return api<{ deploymentId?: number; message?: string }>(appPath(props.app, `${path}?wait=0`), { method: 'POST', body }).then(
      (r) => {
        if (r.deploymentId) setRunning({ id: r.deploymentId, what });
        return true;
      },
      (e: Error) => {
        setError(e.message);
        return false;
      },
    );
  };

  const a = app.data;
  // Drawn once everything has come (or failed): panels filling in one by one would push each
  // other down the page.
  const settled = [app, releases, ps, config, hooks].every((x) => x.data !== null || x.error !== null);
  if (!settled) return <p class="muted">Loading {props.app}…</p>;
  return (
    <section class="app-page">
      <div class="page-head">
        <h1>{props.app}</h1>
        <StateBadge state={a?.state ?? null} />
        <span class="muted">{a?.release ?? ''}</span>
        <span class="spacer" />
        {a && (
          <a class="button ghost" href={a.url} target="_blank" rel="noopener noreferrer" data-external>
            Open {a.url.replace(/^https?:\/\//, '')}
          </a>
        )}
      </div>
      <ErrorLine error={error ?? app.error} />
      {running && (
        <div class="panel live-rollout" role="region" aria-label={`${running.what}: live output`}>
          <div class="panel-head">
            <h2>{running.what}</h2>
            <a href={appHref(props.app, `deploys/${running.id}`)}>deployment {running.id}</a>
            <span class="spacer" />
            <button type="button" class="ghost small" onClick={() => setRunning(null)}>
              Close
            </button>
          </div>
          <DeployOutput app={props.app} id={running.id} />
        </div>
      )}
      <div class="grid">
        <Releases releases={releases.data} current={a?.release ?? null} onRollback={(v) => start(`Rollback to v${v}`, 'rollback', { version: v })} />
        <Config config={config.data} onChange={(what, body) => start(what, 'config', body)} />
        <Scale services={a?.services ?? []} onScale={(scale) => start(`Scale ${Object.entries(scale).map(([k, v]) => `${k}=${v}`).join(' ')}`, 'scale', scale)} />
        <Containers list={ps.data} error={ps.error} />
        <Remote hooks={hooks.data} gitRemote={a?.gitRemote ?? ''} />
      </div>
    </section>
  );
}

function Releases(props: { releases: ReleaseInfo[] | null; current: string | null; onRollback: (v: number) => void }) {
  const [asking, setAsking] = useState<number | null>(null);
  return (
    <div class="panel wide">
      <h2>Releases</h2>
      {props.releases && props.releases.length === 0 && <p class="empty">No release yet: push code to deploy v1.</p>}
      <div class="scroll-x">
        <table class="releases">
          <thead>
            <tr>
              <th>Version</th>
              <th>Description</th>
              <th class="hide-narrow">Trigger</th>
              <th class="hide-narrow">Commit</th>
              <th class="hide-narrow">Digest</th>
              <th class="hide-narrow">When</th>
              <th>
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(props.releases ?? []).map((r) => {
              const serving = props.current === `v${r.version}`;
              return (
                <tr data-release={r.version} class={serving ? 'serving' : ''}>
                  <td>
                    v{r.version} {serving && <span class="badge state-serving">serving</span>}
                    {r.status === 'failed' && <span class="badge state-failed">failed</span>}
                  </td>
                  <td class="desc" title={r.error ?? r.description}>
                    {r.description}
                  </td>
                  <td class="hide-narrow">{r.trigger ?? '—'}</td>
                  <td class="hide-narrow mono">{shortSha(r.sha)}</td>
                  <td class="hide-narrow mono" title={r.digest}>
                    {shortDigest(r.digest)}
                  </td>
                  <td class="hide-narrow">{ago(r.createdAt)}</td>
                  <td class="actions">
                    {!serving && r.status !== 'failed' && r.status !== 'pending' && (
                      <button type="button" class="small" onClick={() => setAsking(r.version)} aria-label={`Rollback to v${r.version}`}>
                        Rollback
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {asking !== null && (
        <ConfirmDialog title={`Roll back to v${asking}?`} confirmLabel={`Roll back to v${asking}`} onClose={() => setAsking(null)} onConfirm={() => props.onRollback(asking)}>
          <p>A new release runs v{asking}'s image with v{asking}'s config, blue-green, without a rebuild.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function Config(props: { config: Record<string, string> | null; onChange: (what: string, body: { set?: Record<string, string>; unset?: string[] }) => Promise<boolean> }) {
  const [shown, setShown] = useState<Set<string>>(new Set());
  const entries = Object.entries(props.config ?? {});
  const toggle = (k: string) => setShown((s) => (s.has(k) ? new Set([...s].filter((x) => x !== k)) : new Set([...s, k])));
  return (
    <div class="panel">
      <h2>Config vars</h2>
      {props.config && entries.length === 0 && <p class="empty">None set.</p>}
      <table class="config">
        <tbody>
          {entries.map(([k, v]) => (
            <tr data-key={k}>
              <td class="mono key">{k}</td>
              <td class="mono value">{shown.has(k) ? v : <span class="masked" aria-label="hidden value">••••••••</span>}</td>
              <td class="actions">
                <button type="button" class="ghost small" onClick={() => toggle(k)} aria-label={`${shown.has(k) ? 'Hide' : 'Reveal'} ${k}`}>
                  {shown.has(k) ? 'Hide' : 'Reveal'}
                </button>
                <button type="button" class="ghost small danger-text" onClick={() => void props.onChange(`Unset ${k}`, { unset: [k] })} aria-label={`Unset ${k}`}>
                  Unset
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget as HTMLFormElement;
          const key = (form.elements.namedItem('key') as HTMLInputElement).value.trim();
          const value = (form.elements.namedItem('value') as HTMLInputElement).value;
          void props.onChange(`Set ${key}`, { set: { [key]: value } }).then((ok) => ok && form.reset());
        }}
      >
        <label class="field">
          Key
          <input name="key" required pattern="[A-Za-z_][A-Za-z0-9_]*" autocomplete="off" spellcheck={false} placeholder="KEY" />
        </label>
        <label class="field">
          Value
          <input name="value" type="password" autocomplete="off" spellcheck={false} placeholder="value" />
        </label>
        <button type="submit">Set</button>
      </form>
    </div>
  );
}

function Scale(props: { services: { name: string; role: string; replicas: number }[]; onScale: (s: Record<string, number>) => void }) {
  return (
    <div class="panel">
      <h2>Scale</h2>
      {props.services.length === 0 && <p class="empty">Nothing runs yet.</p>}
      {props.services.map((s) => (
        <form
          class="inline-form scale"
          key={`${s.name}:${s.replicas}`}
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(((e.currentTarget as HTMLFormElement).elements.namedItem('n') as HTMLInputElement).value);
            props.onScale({ [s.name]: n });
          }}
        >
          <label class="field row">
            <span class="mono">{s.name}</span> <span class="muted">({s.role})</span>
            <input name="n" type="number" min="0" max="100" defaultValue={String(s.replicas)} aria-label={`${s.name} replicas`} />
          </label>
          <button type="submit" class="small">
            Scale
          </button>
        </form>
      ))}
    </div>
  );
}

function Containers(props: { list: ContainerInfo[] | null; error: string | null }) {
  return (
    <div class="panel wide">
      <h2>Containers</h2>
      <ErrorLine error={props.error} />
      {props.list && props.list.length === 0 && <p class="empty">No containers.</p>}
      <div class="scroll-x">
        <table class="ps">
          <thead>
            <tr>
              <th>Service</th>
              <th>Color</th>
              <th>Release</th>
              <th>State</th>
              <th>Health</th>
              <th class="hide-narrow">Port</th>
              <th>Restarts</th>
            </tr>
          </thead>
          <tbody>
            {(props.list ?? []).map((c) => (
              <tr title={c.name}>
                <td class="mono">{c.service ?? c.kind}</td>
                <td>{c.color ? <span class={`color-${c.color}`}>{c.color}</span> : '—'}</td>
                <td>{c.release}</td>
                <td>{c.state}</td>
                <td>{c.health ?? '—'}</td>
                <td class="hide-narrow">{c.port ?? '—'}</td>
                <td>{c.restarts ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Remote(props: { hooks: Webhooks | null; gitRemote: string }) {
  const hooks = { data: props.hooks };
  const [secret, setSecret] = useState(false);
  const rows: [string, string][] = [['git remote', props.gitRemote]];
  if (hooks.data) rows.push(['GitHub webhook', hooks.data.github], ['GitLab webhook', hooks.data.gitlab], ['generic webhook', hooks.data.generic]);
  return (
    <div class="panel wide">
      <h2>Git and webhooks</h2>
      <dl class="copy-list">
        {rows.map(([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd>
              <code>{value}</code> {value && <CopyButton value={value} label={label} />}
            </dd>
          </>
        ))}
        {hooks.data && (
          <>
            <dt>webhook secret</dt>
            <dd>
              <code>{secret ? hooks.data.secret : '••••••••••••'}</code>{' '}
              <button type="button" class="ghost small" onClick={() => setSecret(!secret)}>
                {secret ? 'Hide' : 'Reveal'}
              </button>{' '}
              <CopyButton value={hooks.data.secret} label="webhook secret" />
            </dd>
          </>
        )}
      </dl>
      <p class="hint">
        <code>git remote add slipway {props.gitRemote || 'URL'}</code> then <code>git push slipway main</code> (password: an API token).
      </p>
    </div>
  );
}
