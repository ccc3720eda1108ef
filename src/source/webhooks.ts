// Webhook deliveries from GitHub, GitLab and GitHub-compatible hosts (Gitea, Forgejo): verify
// the raw bytes against the app's secret, then read a push out of them. Pure; no I/O.
import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import { emitterEventNames, type EmitterWebhookEvent, type EmitterWebhookEventName } from '@octokit/webhooks';
import { UserError } from '../errors.js';

/** GitHub's push payload, as @octokit/webhooks types it: the fields read below are checked
 *  against it at compile time, so a renamed field upstream fails `tsc`, not a deploy. */
type GithubPush = EmitterWebhookEvent<'push'>['payload'];
type GithubRepository = GithubPush['repository'];
type GithubCommit = NonNullable<GithubPush['head_commit']>;

/** GitHub's event names (`push`, `ping`, `issues`…), without the `.action` variants. */
const GITHUB_EVENTS: ReadonlySet<string> = new Set(emitterEventNames.filter((n) => !n.includes('.')));
const PING: EmitterWebhookEventName = 'ping';
const PUSH: EmitterWebhookEventName = 'push';

export type Provider = 'github' | 'gitlab' | 'generic';

/** A push to a branch that may start a deploy. */
export interface PushEvent {
  provider: Provider;
  deliveryId: string;
  /** The repository as the host names it (clone_url / project.git_http_url); informational —
   *  the app's configured repo URL is what gets fetched. */
  repoUrl: string;
  /** `refs/heads/main` */
  ref: string;
  /** `main` */
  branch: string;
  /** The commit the branch now points at. */
  sha: string;
  deleted: boolean;
  message?: string;
}

/** A delivery that is valid but starts nothing, with why (answered 2xx). */
export interface Ignored {
  ignore: string;
  kind: 'ping' | 'event' | 'tag' | 'deletion' | 'not-a-branch' | 'other-branch';
}

export const isIgnored = (p: PushEvent | Ignored): p is Ignored => 'ignore' in p;

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const ZERO_SHA = /^0+$/;

/** HMAC-SHA256 of the exact bytes received, as GitHub sends it: `sha256=<64 hex>`. */
export function signGithub(rawBody: Buffer, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex');
}

/**
 * GitHub's `X-Hub-Signature-256` check over the raw body. Done on the Buffer with node:crypto
 * rather than @octokit/webhooks' `verify`, which takes a string: decoding bytes to a string and
 * back changes any invalid UTF-8, so a string API cannot verify every byte GitHub signed (the
 * unit tests check both agree on the real payloads). Constant-time; an empty secret never passes.
 */
export function verifyGithub(rawBody: Buffer, signatureHeader: string | undefined, secret: string): boolean {
  if (!secret || typeof signatureHeader !== 'string') return false;
  // Gitea/Forgejo's own headers carry the bare hex; GitHub's carries the `sha256=` prefix.
  const hex = signatureHeader.startsWith('sha256=') ? signatureHeader.slice(7) : signatureHeader;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(hex.toLowerCase(), 'hex'), expected);
}

/** GitLab sends the secret itself in `X-Gitlab-Token`; compared in constant time (by hashing
 *  both sides first, so the lengths match and the secret's length does not leak). */
export function verifyGitlab(tokenHeader: string | undefined, secret: string): boolean {
  if (!secret || typeof tokenHeader !== 'string' || tokenHeader.length === 0) return false;
  const a = createHash('sha256').update(tokenHeader).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/**
 * Reads a push out of a verified delivery. `event` is `X-GitHub-Event` (github, generic) or
 * `X-Gitlab-Event` (gitlab). Throws UserError(400) for malformed JSON, missing fields or wrong
 * types; returns Ignored for pings, tags, deletions and events other than pushes.
 */
export function parsePush(provider: Provider, event: string, body: Buffer, deliveryId = ''): PushEvent | Ignored {
  const doc = parseJsonObject(body);
  if (provider === 'gitlab') return parseGitlab(event, doc, deliveryId);
  return parseGithub(provider, event, doc, deliveryId);
}

/** Whether a push is for the app's branch; other branches are answered 2xx and ignored. */
export function forBranch(push: PushEvent, branch: string): PushEvent | Ignored {
  if (push.branch === branch) return push;
  return { ignore: `push to branch ${push.branch}; this app deploys ${branch}`, kind: 'other-branch' };
}

function parseGithub(provider: Provider, event: string, doc: Doc, deliveryId: string): PushEvent | Ignored {
  if (event === PING) return { ignore: 'ping', kind: 'ping' };
  if (event !== PUSH) {
    const what = GITHUB_EVENTS.has(event) ? `event ${JSON.stringify(event)}` : `${JSON.stringify(event.slice(0, 80))}, which is not a GitHub event name,`;
    return { ignore: `${what} does not deploy; only push does`, kind: 'event' };
  }
  const push = doc as Typed<GithubPush>;
  const ref = str(push, 'ref');
  const after = str(push, 'after');
  const deleted = optBool(push, 'deleted');
  const repository = obj(push, 'repository') as Typed<GithubRepository>;
  const repoUrl = str(repository, 'clone_url', 'repository.clone_url');
  const head = push.head_commit;
  if (head !== undefined && head !== null && !isDoc(head)) throw bad('head_commit must be an object or null');
  const message = head ? optStr(head as Typed<GithubCommit>, 'message', 'head_commit.message') : undefined;
  return classify(provider, deliveryId, { ref, after, deleted: deleted ?? false, repoUrl, message });
}

function parseGitlab(event: string, doc: Doc, deliveryId: string): PushEvent | Ignored {
  if (event === 'Tag Push Hook') return { ignore: 'tag push; only branch pushes deploy', kind: 'tag' };
  if (event !== 'Push Hook') return { ignore: `event ${JSON.stringify(event)} does not deploy; only Push Hook does`, kind: 'event' };
  const kind = str(doc, 'object_kind');
  if (kind !== 'push') throw bad(`object_kind is ${JSON.stringify(kind)}, expected "push" for a Push Hook`);
  const ref = str(doc, 'ref');
  const after = str(doc, 'after');
  // checkout_sha is null when the branch was deleted; otherwise it is the commit to deploy.
  const checkout = doc.checkout_sha;
  if (checkout !== undefined && checkout !== null && typeof checkout !== 'string') throw bad('checkout_sha must be a string or null');
  const project = obj(doc, 'project');
  const repoUrl = str(project, 'git_http_url', 'project.git_http_url');
  const sha = typeof checkout === 'string' ? checkout : after;
  const commits = doc.commits;
  if (commits !== undefined && !Array.isArray(commits)) throw bad('commits must be an array');
  const head = (commits ?? []).find((c): c is Doc => isDoc(c) && c.id === sha);
  const message = head ? optStr(head, 'message', 'commits[].message') : undefined;
  return classify('gitlab', deliveryId, { ref, after: sha, deleted: checkout === null || ZERO_SHA.test(after), repoUrl, message });
}

function classify(
  provider: Provider,
  deliveryId: string,
  p: { ref: string; after: string; deleted: boolean; repoUrl: string; message: string | undefined },
): PushEvent | Ignored {
  if (p.ref.startsWith('refs/tags/')) return { ignore: `tag ${p.ref.slice(10)}; only branch pushes deploy`, kind: 'tag' };
  if (!p.ref.startsWith('refs/heads/') || p.ref.length === 11)
    return { ignore: `ref ${p.ref} is not a branch`, kind: 'not-a-branch' };
  const branch = p.ref.slice(11);
  if (p.deleted || ZERO_SHA.test(p.after)) return { ignore: `branch ${branch} was deleted`, kind: 'deletion' };
  if (!SHA.test(p.after)) throw bad(`commit sha ${JSON.stringify(p.after.slice(0, 80))} is not 40 or 64 lowercase hex digits`);
  const push: PushEvent = { provider, deliveryId, repoUrl: p.repoUrl, ref: p.ref, branch, sha: p.after, deleted: false };
  if (p.message !== undefined) push.message = p.message;
  return push;
}

/**
 * Delivery ids are used as dedupe keys, so they are checked, not trusted: printable, short.
 * A host that sends none (old GitLab) gets one derived from the body, so a redelivery of the
 * same bytes is still recognised.
 */
export function deliveryIdFrom(provider: Provider, header: string | undefined, body: Buffer): string {
  if (header === undefined || header === '') return `${provider}-body-${createHash('sha256').update(body).digest('hex')}`;
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(header)) throw bad('delivery id header must be 1–128 characters of A-Z a-z 0-9 . _ : -');
  return `${provider}-${header}`;
}

type Doc = Record<string, unknown>;
/** An unchecked JSON object whose keys are those of payload type T (values still unknown). */
type Typed<T> = { [K in keyof T]?: unknown };

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(message: string): UserError {
  return new UserError(`malformed webhook payload: ${message}`, 400);
}

function parseJsonObject(body: Buffer): Doc {
  let text: string;
  try {
    // JSON is UTF-8 (RFC 8259); a decoder that replaced bad bytes would read a different payload.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw bad('body is not valid UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(`invalid JSON (${(e as Error).message.slice(0, 120)})`);
  }
  if (!isDoc(doc)) throw bad('body must be a JSON object');
  return doc;
}

function str<T>(doc: Typed<T> | Doc, key: keyof T & string, name: string = key): string {
  const v = doc[key];
  if (v === undefined || v === null) throw bad(`missing field ${name}`);
  if (typeof v !== 'string') throw bad(`field ${name} must be a string`);
  return v;
}

function optStr<T>(doc: Typed<T> | Doc, key: keyof T & string, name: string = key): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`field ${name} must be a string`);
  return v;
}

function optBool<T>(doc: Typed<T> | Doc, key: keyof T & string): boolean | undefined {
  const v = doc[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw bad(`field ${key} must be true or false`);
  return v;
}

function obj<T>(doc: Typed<T> | Doc, key: keyof T & string): Doc {
  const v = doc[key];
  if (v === undefined || v === null) throw bad(`missing field ${key}`);
  if (!isDoc(v)) throw bad(`field ${key} must be an object`);
  return v;
}
