// An app's deployments, newest first, and one's output (live while it runs, replayed after). With
// no deployment in the URL the page follows the newest: a push made now appears and streams here.
import { useState } from 'preact/hooks';
import { appPath } from '../api';
import { DeployOutput } from '../components/DeployOutput';
import { useApi } from '../components/hooks';
import { ErrorLine } from '../components/Layout';
import { ago, shortSha } from '../lib/format';
import { useDeploymentEvents } from '../live';
import { appHref, navigate } from '../router';
import type { Deployment } from '../types';

export function DeploysPage(props: { app: string; id: number | null }) {
  const list = useApi<Deployment[]>(appPath(props.app, 'deploys'));
  const [newest, setNewest] = useState<number | null>(null);
  useDeploymentEvents(props.app, (d) => {
    if (d.status === 'queued') setNewest(d.id);
    list.reload();
  });
  const deploys = list.data ?? [];
  const following = props.id === null;
  const selected = props.id ?? newest ?? deploys[0]?.id ?? null;
  return (
    <section class="deploys-page">
      <div class="page-head">
        <h1>Deploys</h1>
        {following ? (
          <span class="badge live-badge">following the newest</span>
        ) : (
          <button type="button" class="ghost small" onClick={() => navigate(appHref(props.app, 'deploys'))}>
            Follow the newest
          </button>
        )}
      </div>
      <ErrorLine error={list.error} />
      <div class="split">
        <ol class="deploy-list" aria-label="deployments">
          {list.data && deploys.length === 0 && <li class="empty">No deploys yet: `git push` to start one.</li>}
          {deploys.map((d) => (
            <li key={d.id} class={d.id === selected ? 'selected' : ''}>
              <a href={appHref(props.app, `deploys/${d.id}`)} aria-current={d.id === selected ? 'true' : undefined}>
                <span class="mono">#{d.id}</span> <span class={`status deploy-${d.status}`}>{d.status}</span>
                <span class="muted">
                  {d.trigger}
                  {d.sha ? ` · ${shortSha(d.sha)}` : ''}
                  {d.releaseVersion ? ` · v${d.releaseVersion}` : ''} · {ago(d.createdAt)}
                </span>
              </a>
            </li>
          ))}
        </ol>
        <div class="deploy-detail">{selected !== null ? <DeployOutput key={selected} app={props.app} id={selected} /> : <p class="muted">Nothing to show.</p>}</div>
      </div>
    </section>
  );
}
