// The webhook front door (mounted at /webhooks): raw bytes in, verify, parse, dedupe, enqueue,
// answer fast — the deploy itself runs in the queue. Every answer is JSON; no error queues anything.
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { UserError, TransientError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import {
  deliveryIdFrom,
  forBranch,
  isIgnored,
  parsePush,
  verifyGithub,
  verifyGitlab,
  type Provider,
  type PushEvent,
} from '../source/webhooks.js';

/** What the router needs of an app (an AppRow fits). */
export interface WebhookApp {
  id: number;
  name: string;
  webhookSecret: string;
  repoBranch: string | null;
  deployBranch?: string;
}

export interface WebhookDeps<A extends WebhookApp = WebhookApp> {
  findApp(name: string): A | undefined;
  /** Whether `app` already accepted this delivery id (another app fed by the same repository
   *  gets its own deploy of it). */
  seenDelivery(app: A, id: string): boolean;
  /**
   * Records the delivery and queues the deploy. For exactly-once deploys across processes,
   * insert the delivery row (delivery_id is its primary key) before the first `await`; the
   * router itself never lets the same id through twice at once.
   */
  enqueue(app: A, push: PushEvent, deliveryId: string): Promise<{ deploymentId: number }>;
  logger: Logger;
}

export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;

/** The headers each provider signs with and names its event and delivery by. */
const HEADERS: Record<Provider, { event: string[]; delivery: string[] }> = {
  github: { event: ['x-github-event'], delivery: ['x-github-delivery'] },
  gitlab: { event: ['x-gitlab-event'], delivery: ['x-gitlab-event-uuid'] },
  generic: {
    event: ['x-github-event', 'x-gitea-event', 'x-forgejo-event', 'x-gogs-event'],
    delivery: ['x-github-delivery', 'x-gitea-delivery', 'x-forgejo-delivery', 'x-gogs-delivery'],
  },
};

const SIGNATURE_HEADERS = ['x-hub-signature-256', 'x-gitea-signature', 'x-forgejo-signature', 'x-gogs-signature'];

export function webhookRouter<A extends WebhookApp>(deps: WebhookDeps<A>): express.Router {
  const router = express.Router();
  // (app, delivery id) being enqueued right now: a redelivery racing the first one must not start a second deploy.
  const inFlight = new Set<string>();
  // `type: () => true` reads every body (even with no Content-Type) so the signature is checked
  // before the content type; `inflate: false` because the signature covers the bytes as sent.
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT, inflate: false });

  for (const provider of ['github', 'gitlab', 'generic'] as const) {
    router.post(`/${provider}/:app`, raw, (req: Request, res: Response) => {
      receive(provider, req, res, deps, inFlight);
    });
  }
  router.use((req: Request, res: Response) => {
    answer(res, 404, { error: `no webhook endpoint ${req.method} ${req.baseUrl}${req.path}; use POST /webhooks/{github,gitlab,generic}/APP` });
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string };
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
    const message =
      e.type === 'entity.too.large'
        ? `webhook body is larger than ${WEBHOOK_BODY_LIMIT / 1024 / 1024} MB`
        : e.type === 'encoding.unsupported'
          ? 'compressed webhook bodies are not accepted; send the payload uncompressed'
          : status === 500
            ? 'internal error; see the Slipway server log'
            : `could not read the webhook body: ${errorMessage(err)}`;
    if (status === 500) deps.logger.error('webhook failed', { path: req.path, error: errorMessage(err) });
    if (!res.headersSent) answer(res, status, { error: message });
  });
  return router;
}

/**
 * Checked against when the URL names no app (or one without a secret): the same work and the same
 * 401 as a wrong signature for a real app, so nobody can list app names by probing this endpoint.
 */
const DECOY_SECRET = randomBytes(32).toString('hex');

function receive<A extends WebhookApp>(provider: Provider, req: Request, res: Response, deps: WebhookDeps<A>, inFlight: Set<string>): void {
  const name = String(req.params.app).slice(0, 63);
  const found = /^[a-z0-9-]{1,63}$/.test(name) ? deps.findApp(name) : undefined;
  const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const log = { app: name, provider };

  const secret = found?.webhookSecret || DECOY_SECRET;
  const verified =
    provider === 'gitlab'
      ? verifyGitlab(header(req, 'x-gitlab-token'), secret)
      : verifyGithub(body, firstHeader(req, provider === 'github' ? ['x-hub-signature-256'] : SIGNATURE_HEADERS), secret);
  if (!verified || !found?.webhookSecret) {
    deps.logger.warn('webhook refused: bad signature', { ...log, known: Boolean(found), hasSecret: Boolean(found?.webhookSecret) });
    const what = provider === 'gitlab' ? 'X-Gitlab-Token header' : 'X-Hub-Signature-256 header';
    return answer(res, 401, { error: `missing or wrong ${what}; use the secret shown by slipway webhooks ${name}` });
  }
  const app = found;

  const type = contentTypeProblem(req.headers['content-type']);
  if (type) return answer(res, 415, { error: type });

  let push: ReturnType<typeof parsePush>;
  let deliveryId: string;
  try {
    const event = firstHeader(req, HEADERS[provider].event);
    if (!event) throw new UserError(`missing ${HEADERS[provider].event[0]} header`, 400);
    deliveryId = deliveryIdFrom(provider, firstHeader(req, HEADERS[provider].delivery), body);
    push = parsePush(provider, event, body, deliveryId);
  } catch (e) {
    const status = e instanceof UserError ? e.status : 400;
    deps.logger.warn('webhook refused: malformed', { ...log, error: errorMessage(e) });
    return answer(res, status, { error: errorMessage(e) });
  }

  if (isIgnored(push)) {
    if (push.kind === 'ping') return answer(res, 200, { ok: true, message: 'pong' });
    return answer(res, 200, { ignored: push.ignore });
  }
  const branch = app.repoBranch ?? app.deployBranch ?? 'main';
  const target = forBranch(push, branch);
  if (isIgnored(target)) return answer(res, 200, { ignored: target.ignore });

  // No await between the dedupe check and the enqueue call: in one process this is atomic.
  const key = `${app.id}:${deliveryId}`;
  if (inFlight.has(key) || deps.seenDelivery(app, deliveryId)) {
    deps.logger.info('webhook redelivery ignored', { ...log, deliveryId });
    return answer(res, 200, { duplicate: true, message: `delivery ${deliveryId} was already received; nothing new started` });
  }
  inFlight.add(key);
  deps
    .enqueue(app, target, deliveryId)
    .then(({ deploymentId }) => {
      deps.logger.info('webhook queued a deploy', { ...log, deliveryId, sha: target.sha, deploymentId });
      answer(res, 202, { deploymentId, sha: target.sha, branch: target.branch });
    })
    .catch((e: unknown) => {
      const status = e instanceof UserError ? e.status : e instanceof TransientError ? 503 : 500;
      deps.logger.error('webhook could not queue a deploy', { ...log, deliveryId, error: errorMessage(e) });
      answer(res, status, {
        error: status === 500 ? 'internal error queueing the deploy; see the Slipway server log, then redeliver' : errorMessage(e),
      });
    })
    .finally(() => inFlight.delete(key));
}

/** Only JSON is accepted: GitHub's form encoding (`payload=`) would need a second decoder for
 *  no gain. Returns the reason to refuse, or null. */
export function contentTypeProblem(contentType: string | undefined): string | null {
  const [type = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase());
  if (type === 'application/json') {
    const charset = params.find((p) => p.startsWith('charset='));
    if (charset && !/^charset="?utf-8"?$/.test(charset)) return `webhook bodies must be UTF-8 JSON, not ${charset}`;
    return null;
  }
  if (type === 'application/x-www-form-urlencoded')
    return 'form-encoded webhooks are not accepted: set "Content type" to application/json in the repository\'s webhook settings';
  return `webhook bodies must be application/json${type ? `, not ${type}` : ' (no Content-Type header was sent)'}`;
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function firstHeader(req: Request, names: string[]): string | undefined {
  for (const n of names) {
    const v = header(req, n);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function answer(res: Response, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  res.status(status).json(body);
}
