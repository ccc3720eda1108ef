// When a started container counts as healthy: Docker's own HEALTHCHECK, app.json HTTP checks
// (Dokku's semantics), "the port answers HTTP", or just "it runs" — failing fast, with the
// container's exit code and last log lines, when it dies while we wait.
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { HealthCheck, HttpHealthCheck, Progress } from '../domain.js';
import { UserError } from '../errors.js';
import { DEFAULT_WEB_PORT } from './container-spec.js';

/** What the adapter's inspect reports about a container, as much as health needs. */
export interface ContainerState {
  status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  exitCode: number;
  restartCount: number;
  /** Present only when the container has a Docker HEALTHCHECK. */
  health?: { status: 'starting' | 'healthy' | 'unhealthy' | 'none'; log: { exitCode: number; output: string }[] };
}

export interface HttpResult {
  status: number;
  body: string;
}
/** Rejects on a network error or when no full response came within `timeoutMs`. */
export type HttpGet = (url: string, timeoutMs: number, signal?: AbortSignal) => Promise<HttpResult>;

export interface HealthDeps {
  inspectHealth(id: string): Promise<ContainerState>;
  logTail(id: string, lines: number): Promise<string[]>;
  httpGet?: HttpGet;
}

export interface HealthTarget {
  id: string;
  ip: string;
  port?: number;
  /** Shown in progress and errors, e.g. `slipway-demo-web-blue-1`. */
  name?: string;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
const realClock: Clock = { now: () => Date.now(), sleep: (ms, signal) => delay(ms, undefined, { signal }) };

export interface WaitOptions {
  /** Bound for 'port', 'none' and (at least) 'docker'; app.json checks bound themselves. */
  timeoutSeconds: number;
  /** 'none': how long a running container must stay up to count as started (a worker that
   *  exits a second after starting is a failed deploy, not a success). */
  settleSeconds?: number;
  /** The most the whole wait may take, whatever the app declares (attempts × wait can be huge). */
  limit?: { seconds: number; setting: string };
  progress: Progress;
  /** Aborting stops the wait; a UserError reason (a deadline) is what the wait then throws. */
  signal?: AbortSignal;
  clock?: Clock;
}

/** How often the container's state is looked at while waiting. */
const POLL_MS = 1000;
/** The first looks come quickly (most apps are up within a second), then once a second. */
const pollDelay = (attempt: number) => Math.min(POLL_MS, 100 * 2 ** attempt);
const LOG_LINES = 10;
/** A 'port' probe gives up on one request after this long and tries again. */
const PORT_PROBE_TIMEOUT_MS = 5000;

// ---- pure decisions --------------------------------------------------------------------------

/** Why the container can no longer become healthy, or null while it still can. */
export function containerProblem(s: ContainerState, restartsAtStart: number): string | null {
  if (s.status === 'exited' || s.status === 'dead') return `exited with code ${s.exitCode}`;
  if (s.status === 'removing') return 'was removed';
  // Once restarted and running again, Docker reports exit code 0: only a non-zero one says anything.
  if (s.status === 'restarting' || s.restartCount > restartsAtStart)
    return `crashed and is restarting${s.status === 'restarting' || s.exitCode !== 0 ? ` (last exit code ${s.exitCode})` : ''}`;
  return null;
}

export type DockerVerdict = 'wait' | 'healthy' | 'unhealthy' | 'no-healthcheck';
export function dockerVerdict(s: ContainerState): DockerVerdict {
  if (!s.health || s.health.status === 'none') return 'no-healthcheck';
  if (s.health.status === 'healthy') return 'healthy';
  if (s.health.status === 'unhealthy') return 'unhealthy';
  return 'wait';
}

/** Dokku's rule: a 2xx/3xx status, and the body contains `content` when one is given. */
export function judgeHttp(check: Pick<HttpHealthCheck, 'content'>, r: HttpResult | Error): { ok: boolean; detail: string } {
  if (r instanceof Error) return { ok: false, detail: r.message };
  if (r.status < 200 || r.status >= 400) return { ok: false, detail: `status ${r.status}, body ${excerpt(r.body)}` };
  if (check.content && !r.body.includes(check.content))
    return { ok: false, detail: `status ${r.status} but the body does not contain ${JSON.stringify(check.content)}; body ${excerpt(r.body)}` };
  return { ok: true, detail: `status ${r.status}` };
}

export type CheckStep = { action: 'probe'; delaySeconds: number } | { action: 'pass' } | { action: 'fail' };

/** Given the outcomes so far of one app.json check, what to do next. */
export function nextCheckStep(check: HttpHealthCheck, outcomes: boolean[]): CheckStep {
  if (outcomes.at(-1) === true) return { action: 'pass' };
  if (outcomes.length >= Math.max(1, check.attempts)) return { action: 'fail' };
  return { action: 'probe', delaySeconds: outcomes.length === 0 ? check.initialDelay : check.wait };
}

/** Startup and readiness checks gate traffic; liveness checks describe a running app, not a deploy. */
export function deployChecks(checks: HttpHealthCheck[]): HttpHealthCheck[] {
  return checks.filter((c) => c.type !== 'liveness');
}

/** Longest a Docker HEALTHCHECK can take to decide, so a slow declared check is not cut short. */
export function dockerBudgetSeconds(h: Extract<HealthCheck, { kind: 'docker' }>, timeoutSeconds: number): number {
  const interval = h.interval || 30;
  const timeout = h.timeout || 30;
  return Math.max(timeoutSeconds, h.startPeriod + (Math.max(1, h.retries) + 1) * (interval + timeout));
}

function excerpt(body: string, max = 200): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > max ? flat.slice(0, max) + '…' : flat);
}

// ---- the wait --------------------------------------------------------------------------------

/** Resolves when the container is healthy; rejects with a UserError that says why not. */
export async function waitHealthy(target: HealthTarget, health: HealthCheck, deps: HealthDeps, opts: WaitOptions): Promise<void> {
  const w = new Waiter(target, deps, opts);
  await w.start();
  switch (health.kind) {
    case 'none':
      return w.untilRunning();
    case 'port':
      return w.untilPortAnswers();
    case 'http':
      for (const check of deployChecks(health.checks)) await w.httpCheck(check);
      return;
    case 'docker':
      return w.untilDockerHealthy(dockerBudgetSeconds(health, opts.timeoutSeconds));
  }
}

class Waiter {
  private restartsAtStart = 0;
  private readonly clock: Clock;
  readonly label: string;
  private hardDeadline = Infinity;
  constructor(
    private readonly target: HealthTarget,
    private readonly deps: HealthDeps,
    private readonly opts: WaitOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.label = target.name ?? target.id.slice(0, 12);
  }

  async start(): Promise<void> {
    if (this.opts.limit) this.hardDeadline = this.clock.now() + this.opts.limit.seconds * 1000;
    this.restartsAtStart = (await this.inspect()).restartCount;
  }

  async untilRunning(): Promise<void> {
    const deadline = this.clock.now() + this.opts.timeoutSeconds * 1000;
    for (let attempt = 0; ; attempt++) {
      const s = await this.inspect();
      await this.failIfDead(s);
      if (s.status === 'running') break;
      if (this.clock.now() >= deadline) throw new UserError(`${this.label} did not start within ${this.opts.timeoutSeconds}s (state: ${s.status})`);
      await this.sleep(pollDelay(attempt));
    }
    // With no health check to ask, staying up is the only sign it started well.
    const settle = this.opts.settleSeconds ?? 0;
    if (settle <= 0) return;
    this.opts.progress(`${this.label}: running; counts as started once it has stayed up ${settle}s (no health check declared)`);
    await this.watchfulSleep(settle * 1000);
    await this.failIfDead(await this.inspect());
  }

  async untilPortAnswers(): Promise<void> {
    const url = this.url('/');
    const deadline = this.clock.now() + this.opts.timeoutSeconds * 1000;
    this.opts.progress(`${this.label}: waiting for ${url} to answer`);
    for (let attempt = 0; ; attempt++) {
      await this.failIfDead(await this.inspect());
      const left = deadline - this.clock.now();
      const r = await this.get(url, Math.max(1, Math.min(PORT_PROBE_TIMEOUT_MS, left)));
      if (!(r instanceof Error)) return;
      if (this.clock.now() >= deadline)
        throw await this.withLogs(`${this.label} did not answer HTTP at ${url} within ${this.opts.timeoutSeconds}s (last error: ${r.message})`);
      await this.sleep(pollDelay(attempt));
    }
  }

  async httpCheck(check: HttpHealthCheck): Promise<void> {
    const url = this.url(check.path.startsWith('/') ? check.path : `/${check.path}`);
    const what = `GET ${check.path}${check.content ? ` (expecting ${JSON.stringify(check.content)})` : ''}`;
    const outcomes: boolean[] = [];
    let last = '';
    for (;;) {
      const step = nextCheckStep(check, outcomes);
      if (step.action === 'pass') return;
      if (step.action === 'fail')
        throw await this.withLogs(`${this.label}: health check ${what} failed ${outcomes.length} of ${outcomes.length} attempts; last: ${last}`);
      await this.watchfulSleep(step.delaySeconds * 1000);
      await this.failIfDead(await this.inspect());
      const verdict = judgeHttp(check, await this.get(url, Math.max(1, check.timeout) * 1000));
      outcomes.push(verdict.ok);
      last = verdict.detail;
      const n = `${outcomes.length}/${Math.max(1, check.attempts)}`;
      this.opts.progress(`${this.label}: ${what} attempt ${n} ${verdict.ok ? 'passed' : `failed: ${verdict.detail}`}`);
    }
  }

  async untilDockerHealthy(budgetSeconds: number): Promise<void> {
    const deadline = this.clock.now() + budgetSeconds * 1000;
    for (let attempt = 0; ; attempt++) {
      const s = await this.inspect();
      await this.failIfDead(s);
      const verdict = dockerVerdict(s);
      if (verdict === 'healthy') return;
      if (verdict === 'no-healthcheck') throw new UserError(`${this.label} has no Docker HEALTHCHECK to wait for (its state: ${s.status})`);
      if (verdict === 'unhealthy') throw new UserError(`${this.label} is unhealthy: its healthcheck failed.${healthLog(s)}`);
      if (this.clock.now() >= deadline) throw new UserError(`${this.label} was not healthy within ${budgetSeconds}s (still ${s.health?.status}).${healthLog(s)}`);
      await this.sleep(pollDelay(attempt));
    }
  }

  private url(path: string): string {
    return `http://${this.target.ip}:${this.target.port ?? DEFAULT_WEB_PORT}${path}`;
  }

  private async get(url: string, timeoutMs: number): Promise<HttpResult | Error> {
    try {
      return await (this.deps.httpGet ?? httpGet)(url, timeoutMs, this.opts.signal);
    } catch (e) {
      this.checkAborted();
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  private async inspect(): Promise<ContainerState> {
    this.checkAborted();
    this.checkLimit();
    return this.deps.inspectHealth(this.target.id);
  }

  private checkLimit(): void {
    const limit = this.opts.limit;
    if (limit && this.clock.now() >= this.hardDeadline)
      throw new UserError(`${this.label}: the health check took longer than its limit of ${limit.seconds} s (${limit.setting}); stopped waiting`);
  }

  private async failIfDead(s: ContainerState): Promise<void> {
    const problem = containerProblem(s, this.restartsAtStart);
    if (problem) throw await this.withLogs(`${this.label} ${problem} before it was healthy`);
  }

  /** Sleeps in short slices, looking at the container between them (a long initialDelay must not hide a crash). */
  private async watchfulSleep(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    while (this.clock.now() < until) {
      await this.sleep(Math.min(POLL_MS, until - this.clock.now()));
      if (this.clock.now() < until) await this.failIfDead(await this.inspect());
    }
  }

  private async sleep(ms: number): Promise<void> {
    this.checkLimit();
    try {
      // Never past the limit: the wait ends there with a message naming it.
      await this.clock.sleep(Math.max(0, Math.min(ms, this.hardDeadline - this.clock.now())), this.opts.signal);
    } catch (e) {
      this.checkAborted();
      throw e;
    }
  }

  private checkAborted(): void {
    const signal = this.opts.signal;
    if (!signal?.aborted) return;
    if (signal.reason instanceof UserError) throw signal.reason;
    throw new UserError(`${this.label}: stopped waiting for health (deploy aborted)`);
  }

  private async withLogs(message: string): Promise<UserError> {
    const lines = await this.deps.logTail(this.target.id, LOG_LINES).catch(() => [] as string[]);
    const tail = lines.length ? `\nIts last log lines:\n${lines.map((l) => `  | ${l}`).join('\n')}` : '\nIt wrote no log lines.';
    return new UserError(message + tail);
  }
}

function healthLog(s: ContainerState): string {
  const log = s.health?.log.slice(-3) ?? [];
  if (!log.length) return '';
  return `\nLast healthcheck results:\n${log.map((r) => `  exit ${r.exitCode}: ${r.output.trim().replace(/\n/g, '\n    ') || '(no output)'}`).join('\n')}`;
}

/** A cap on a health response body kept for `content` matching; the rest is not read. */
const MAX_BODY = 1024 * 1024;

/** GET with one deadline for the whole response (connect, headers and body), no keep-alive. */
export const httpGet: HttpGet = (url, timeoutMs, signal) =>
  new Promise((resolve, reject) => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`no response within ${timeoutMs / 1000}s`)), timeoutMs);
    const onAbort = () => ac.abort(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const req = http.get(url, { agent: false, signal: ac.signal, headers: { 'user-agent': 'slipway-healthcheck', accept: '*/*' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length >= MAX_BODY) {
          finish(() => resolve({ status: res.statusCode ?? 0, body }));
          req.destroy();
        }
      });
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body })));
      res.on('error', (e) => finish(() => reject(reason(ac, e))));
    });
    req.on('error', (e) => finish(() => reject(reason(ac, e))));
  });

function reason(ac: AbortController, e: Error & { code?: string }): Error {
  if (ac.signal.aborted && ac.signal.reason instanceof Error) return ac.signal.reason;
  if (e.code === 'ECONNREFUSED') return new Error('connection refused');
  if (e.code === 'ECONNRESET') return new Error('connection reset');
  return e;
}
