// Commit statuses back to the repository host (pending → success/failure, linking the app),
// through GitHub's, GitLab's and Gitea's documented REST APIs. Best effort: a failure is logged,
// never fails a deploy. The request is built by a pure function; sending is the thin edge.
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { Provider } from './webhooks.js';

export type StatusState = 'pending' | 'success' | 'failure';

export interface StatusReport {
  provider: Provider;
  repoUrl: string;
  sha: string;
  state: StatusState;
  targetUrl?: string;
  description: string;
  token: string;
  /** API root, e.g. https://api.github.com, https://gitlab.example.com/api/v4. Derived from the
   *  repository URL when absent; tests point it at a local fake server. */
  apiBase?: string;
  logger: Logger;
  /** Shown as the status's name on the host. */
  context?: string;
}

export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, string>;
}

/** `https://host/acme/demo.git`, `ssh://git@host:22/acme/demo.git`, `git@host:acme/demo.git` → host + path. */
export function repoLocation(repoUrl: string): { host: string; path: string } {
  let host: string;
  let p: string;
  const scp = /^(?:[^@/:]+@)?([^@/:]+):(?!\/\/)(.+)$/.exec(repoUrl);
  if (/^[a-z]+:\/\//i.test(repoUrl)) {
    const u = new URL(repoUrl);
    host = u.host;
    p = decodeURIComponent(u.pathname);
  } else if (scp) {
    host = scp[1]!;
    p = scp[2]!;
  } else throw new Error(`cannot tell the host and project of ${repoUrl}`);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '');
  if (!p.includes('/')) throw new Error(`cannot tell the owner and project of ${repoUrl}`);
  return { host, path: p };
}

/** The HTTP request that sets the status; pure. */
export function statusRequest(r: Omit<StatusReport, 'logger'>): StatusRequest {
  const { host, path } = repoLocation(r.repoUrl);
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(r.sha)) throw new Error(`commit ${r.sha.slice(0, 80)} is not a hex sha`);
  const context = r.context ?? 'slipway';
  const description = r.description.slice(0, 140); // GitHub's limit; longer is refused with 422
  const target: Record<string, string> = r.targetUrl ? { target_url: r.targetUrl } : {};
  const json = { 'content-type': 'application/json', 'user-agent': 'slipway' };
  if (r.provider === 'gitlab') {
    // GitLab names states differently and takes the project as its url-encoded path.
    const base = r.apiBase ?? `https://${host}/api/v4`;
    return {
      url: `${base}/projects/${encodeURIComponent(path)}/statuses/${r.sha}`,
      headers: { ...json, 'private-token': r.token },
      body: { state: r.state === 'failure' ? 'failed' : r.state, name: context, description, ...target },
    };
  }
  const [owner, ...rest] = path.split('/');
  const repo = rest.join('/');
  const ownerRepo = `${encodeURIComponent(owner!)}/${encodeURIComponent(repo)}`;
  const body = { state: r.state, context, description, ...target };
  if (r.provider === 'generic') {
    // Gitea and Forgejo serve the GitHub-shaped statuses API under /api/v1.
    const base = r.apiBase ?? `https://${host}/api/v1`;
    return { url: `${base}/repos/${ownerRepo}/statuses/${r.sha}`, headers: { ...json, authorization: `token ${r.token}` }, body };
  }
  const base = r.apiBase ?? (host === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`);
  return {
    url: `${base}/repos/${ownerRepo}/statuses/${r.sha}`,
    headers: { ...json, accept: 'application/vnd.github+json', authorization: `Bearer ${r.token}`, 'x-github-api-version': '2022-11-28' },
    body,
  };
}

/** Sets the status; resolves true when the host accepted it. Never throws. */
export async function reportStatus(r: StatusReport): Promise<boolean> {
  const where = { provider: r.provider, sha: r.sha, state: r.state };
  try {
    const req = statusRequest(r);
    const res = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: JSON.stringify(req.body),
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) return true;
    const text = (await res.text().catch(() => '')).slice(0, 300);
    r.logger.warn('commit status not accepted', { ...where, status: res.status, response: text });
    return false;
  } catch (e) {
    r.logger.warn('commit status could not be sent', { ...where, error: errorMessage(e) });
    return false;
  }
}
