// When a started container counts as healthy, and what the user is told when it is not: the pure
// decisions, and the wait itself over scripted container states and HTTP answers (fake clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthCheck, HttpHealthCheck } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import {
  containerProblem,
  deployChecks,
  dockerBudgetSeconds,
  dockerVerdict,
  judgeHttp,
  nextCheckStep,
  waitHealthy,
  type ContainerState,
  type HealthDeps,
  type HttpResult,
  type WaitOptions,
} from '../../../src/deploy/health.js';

const running: ContainerState = { status: 'running', exitCode: 0, restartCount: 0 };
const check = (over: Partial<HttpHealthCheck> = {}): HttpHealthCheck => ({ path: '/health', attempts: 3, timeout: 5, wait: 2, initialDelay: 4, ...over });

// ---- pure decisions ----

test('an exited, dead, restarting or restarted container can no longer become healthy', () => {
  assert.equal(containerProblem(running, 0), null);
  assert.equal(containerProblem({ ...running, status: 'created' }, 0), null);
  assert.equal(containerProblem({ status: 'exited', exitCode: 3, restartCount: 0 }, 0), 'exited with code 3');
  assert.equal(containerProblem({ status: 'dead', exitCode: 137, restartCount: 0 }, 0), 'exited with code 137');
  assert.match(containerProblem({ status: 'restarting', exitCode: 1, restartCount: 1 }, 0)!, /restarting \(last exit code 1\)/);
  assert.match(containerProblem({ status: 'running', exitCode: 2, restartCount: 3 }, 2)!, /restarting/);
  assert.equal(containerProblem({ status: 'running', exitCode: 2, restartCount: 3 }, 3), null);
  // Restarted and running again: Docker reports exit code 0, which says nothing about the crash.
  assert.equal(containerProblem({ status: 'running', exitCode: 0, restartCount: 1 }, 0), 'crashed and is restarting');
});

test('docker verdicts follow Health.Status', () => {
  assert.equal(dockerVerdict(running), 'no-healthcheck');
  assert.equal(dockerVerdict({ ...running, health: { status: 'starting', log: [] } }), 'wait');
  assert.equal(dockerVerdict({ ...running, health: { status: 'healthy', log: [] } }), 'healthy');
  assert.equal(dockerVerdict({ ...running, health: { status: 'unhealthy', log: [] } }), 'unhealthy');
});

test('an http check passes on 2xx/3xx, and only when the body has the content', () => {
  assert.equal(judgeHttp({}, { status: 200, body: '' }).ok, true);
  assert.equal(judgeHttp({}, { status: 302, body: '' }).ok, true);
  assert.equal(judgeHttp({}, { status: 199, body: '' }).ok, false);
  assert.equal(judgeHttp({}, { status: 404, body: 'nope' }).ok, false);
  assert.match(judgeHttp({}, { status: 503, body: 'warming up' }).detail, /status 503, body "warming up"/);
  assert.equal(judgeHttp({ content: 'ok' }, { status: 200, body: 'all ok' }).ok, true);
  const miss = judgeHttp({ content: 'ready' }, { status: 200, body: 'starting' });
  assert.equal(miss.ok, false);
  assert.match(miss.detail, /does not contain "ready"; body "starting"/);
  assert.deepEqual(judgeHttp({}, new Error('connection refused')), { ok: false, detail: 'connection refused' });
});

test('long bodies are cut in messages', () => {
  const d = judgeHttp({}, { status: 500, body: 'x'.repeat(5000) }).detail;
  assert.ok(d.length < 300);
  assert.match(d, /…"$/);
});

test('Dokku semantics: initialDelay before the first try, wait between, at most `attempts` tries', () => {
  const c = check();
  assert.deepEqual(nextCheckStep(c, []), { action: 'probe', delaySeconds: 4 });
  assert.deepEqual(nextCheckStep(c, [false]), { action: 'probe', delaySeconds: 2 });
  assert.deepEqual(nextCheckStep(c, [false, false]), { action: 'probe', delaySeconds: 2 });
  assert.deepEqual(nextCheckStep(c, [false, false, false]), { action: 'fail' });
  assert.deepEqual(nextCheckStep(c, [false, true]), { action: 'pass' });
  assert.deepEqual(nextCheckStep(check({ attempts: 0 }), []), { action: 'probe', delaySeconds: 4 });
  assert.deepEqual(nextCheckStep(check({ attempts: 0 }), [false]), { action: 'fail' });
});

test('liveness checks do not gate a deploy; startup, readiness and untyped ones do', () => {
  const cs = [check({ type: 'liveness', path: '/l' }), check({ type: 'startup', path: '/s' }), check({ type: 'readiness', path: '/r' }), check({ path: '/u' })];
  assert.deepEqual(deployChecks(cs).map((c) => c.path), ['/s', '/r', '/u']);
});

test('a slow declared docker healthcheck is given the time it needs', () => {
  const h = { kind: 'docker' as const, test: ['CMD', 'true'], interval: 10, timeout: 5, retries: 3, startPeriod: 30 };
  assert.equal(dockerBudgetSeconds(h, 60), 30 + 4 * 15);
  assert.equal(dockerBudgetSeconds({ ...h, interval: 1, timeout: 1, retries: 1, startPeriod: 0 }, 60), 60);
});

// ---- the wait, scripted ----

interface Script {
  states?: ContainerState[];
  http?: (HttpResult | Error)[];
  logs?: string[];
}
function harness(s: Script) {
  let t = 0;
  const states = [...(s.states ?? [running])];
  const http = [...(s.http ?? [])];
  const urls: string[] = [];
  const progress: string[] = [];
  const sleeps: number[] = [];
  /** The states the wait saw, in order: a test asserts it waited through them, not just that it resolved. */
  const seen: string[] = [];
  const deps: HealthDeps = {
    inspectHealth: async () => {
      const st = states.length > 1 ? states.shift()! : states[0]!;
      seen.push(st.health ? `${st.status}/${st.health.status}` : st.status);
      return st;
    },
    logTail: async () => s.logs ?? [],
    httpGet: async (url) => {
      urls.push(url);
      const r = http.length > 1 ? http.shift()! : (http[0] ?? new Error('connection refused'));
      if (r instanceof Error) throw r;
      return r;
    },
  };
  const clock = {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  const run = (health: HealthCheck, port: number | null = 3000, timeoutSeconds = 30, more: Partial<WaitOptions> = {}) =>
    waitHealthy({ id: 'abc123', ip: '10.0.0.5', port: port ?? undefined, name: 'slipway-demo-web-blue-1' }, health, deps, { timeoutSeconds, progress: (l) => progress.push(l), clock, ...more });
  return { run, urls, progress, sleeps, seen, elapsed: () => t };
}

async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, re);
    return e;
  }
  assert.fail('expected a rejection');
}

test("'none' resolves once the container runs, not before", async () => {
  const h = harness({ states: [{ ...running, status: 'created' }, { ...running, status: 'created' }, running] });
  await h.run({ kind: 'none' });
  assert.equal(h.seen.at(-1), 'running');
  assert.ok(h.seen.filter((s) => s === 'created').length === 2, h.seen.join(' '));
  assert.ok(h.elapsed() > 0, 'it slept between looks');
});

test("'none' with a settle time: a worker that exits a second after starting fails, naming its exit code", async () => {
  const exited = { status: 'exited' as const, exitCode: 3, restartCount: 0 };
  const h = harness({ states: [running, running, running, exited], logs: ['worker giving up'] });
  const e = await rejectsWith(h.run({ kind: 'none' }, null, 30, { settleSeconds: 3 }), /slipway-demo-web-blue-1 exited with code 3 before it was healthy/);
  assert.match(e.message, /\| worker giving up/);
  assert.match(h.progress.join('\n'), /counts as started once it has stayed up 3s/);
});

test("'none' with a settle time: one that stays up counts as started after it", async () => {
  const h = harness({});
  await h.run({ kind: 'none' }, null, 30, { settleSeconds: 3 });
  assert.equal(h.elapsed(), 3000);
});

test('the health limit bounds app.json checks, however many attempts and waits they declare', async () => {
  const h = harness({ http: [{ status: 503, body: 'not yet' }] });
  await rejectsWith(
    h.run({ kind: 'http', checks: [check({ attempts: 100_000, wait: 60, initialDelay: 0 })] }, 3000, 30, { limit: { seconds: 600, setting: 'SLIPWAY_HEALTH_MAX' } }),
    /the health check took longer than its limit of 600 s \(SLIPWAY_HEALTH_MAX\)/,
  );
  assert.equal(h.elapsed(), 600_000);
});

test("'port' retries through refused connections until any HTTP answer, even a 500", async () => {
  const h = harness({ http: [new Error('connection refused'), new Error('connection refused'), { status: 500, body: '' }] });
  await h.run({ kind: 'port' });
  assert.deepEqual(h.urls, ['http://10.0.0.5:3000/', 'http://10.0.0.5:3000/', 'http://10.0.0.5:3000/']);
  assert.equal(h.sleeps.length, 2, 'it waited after each refused connection');
});

test("'port' defaults to port 5000", async () => {
  const h = harness({ http: [{ status: 404, body: '' }] });
  await h.run({ kind: 'port' }, null);
  assert.deepEqual(h.urls, ['http://10.0.0.5:5000/']);
});

test("'port' gives up after the timeout, naming the URL, the last error and the logs", async () => {
  const h = harness({ logs: ['listening on 8080'] });
  const e = await rejectsWith(h.run({ kind: 'port' }, 3000, 10), /did not answer HTTP at http:\/\/10\.0\.0\.5:3000\/ within 10s \(last error: connection refused\)/);
  assert.match(e.message, /\| listening on 8080/);
});

test('a container that exits while we wait fails fast with its exit code and last log lines', async () => {
  const h = harness({ states: [running, { status: 'exited', exitCode: 3, restartCount: 0 }], logs: ['Error: cannot find module x', 'node exited'] });
  const e = await rejectsWith(h.run({ kind: 'port' }, 3000, 600), /slipway-demo-web-blue-1 exited with code 3 before it was healthy/);
  assert.match(e.message, /\| Error: cannot find module x\n {2}\| node exited/);
  assert.ok(h.elapsed() < 5000);
});

test('a container restarted by its policy during the wait fails the deploy', async () => {
  const h = harness({ states: [running, { status: 'running', exitCode: 1, restartCount: 1 }] });
  await rejectsWith(h.run({ kind: 'none' }), /crashed and is restarting \(last exit code 1\)/);
});

test('http checks: initialDelay then attempts with wait; progress shows each attempt', async () => {
  const h = harness({ http: [{ status: 503, body: 'booting' }, { status: 200, body: 'ready' }] });
  await h.run({ kind: 'http', checks: [check({ content: 'ready' })] });
  assert.deepEqual(h.urls, ['http://10.0.0.5:3000/health', 'http://10.0.0.5:3000/health']);
  assert.equal(h.elapsed(), 4000 + 2000);
  assert.match(h.progress[0]!, /GET \/health \(expecting "ready"\) attempt 1\/3 failed: status 503/);
  assert.match(h.progress[1]!, /attempt 2\/3 passed/);
});

test('http checks: every deploy check must pass, in order', async () => {
  const h = harness({ http: [{ status: 200, body: '' }] });
  await h.run({ kind: 'http', checks: [check({ path: '/a', initialDelay: 0 }), check({ path: 'b', initialDelay: 0 }), check({ path: '/live', type: 'liveness' })] });
  assert.deepEqual(h.urls, ['http://10.0.0.5:3000/a', 'http://10.0.0.5:3000/b']);
});

test('a failing http check names the check, the attempts and the body', async () => {
  const h = harness({ http: [{ status: 200, body: 'still migrating' }] });
  const e = await rejectsWith(
    h.run({ kind: 'http', checks: [check({ content: 'ready', attempts: 2 })] }),
    /health check GET \/health \(expecting "ready"\) failed 2 of 2 attempts; last: status 200 but the body does not contain "ready"; body "still migrating"/,
  );
  assert.ok(e instanceof UserError);
});

test('a crash during a long initialDelay is noticed without waiting it out', async () => {
  const h = harness({ states: [running, running, { status: 'exited', exitCode: 137, restartCount: 0 }] });
  await rejectsWith(h.run({ kind: 'http', checks: [check({ initialDelay: 300 })] }), /exited with code 137/);
  assert.ok(h.elapsed() < 10_000);
  assert.deepEqual(h.urls, []);
});

test("'docker' waits while starting and resolves when healthy", async () => {
  const starting = { ...running, health: { status: 'starting' as const, log: [] } };
  const h = harness({ states: [starting, starting, { ...running, health: { status: 'healthy', log: [{ exitCode: 0, output: 'ok' }] } }] });
  await h.run({ kind: 'docker', test: ['CMD', 'true'], interval: 1, timeout: 1, retries: 3, startPeriod: 0 });
  assert.equal(h.seen.at(-1), 'running/healthy');
  assert.ok(h.seen.includes('running/starting'), h.seen.join(' '));
  assert.ok(h.elapsed() > 0, 'it slept while the healthcheck was starting');
});

test("'docker' unhealthy reports the last healthcheck outputs", async () => {
  const log = [1, 2, 3, 4].map((n) => ({ exitCode: 1, output: `curl: (7) attempt ${n}\n` }));
  const h = harness({ states: [{ ...running, health: { status: 'unhealthy', log } }] });
  const e = await rejectsWith(h.run({ kind: 'docker', test: ['CMD', 'false'], interval: 1, timeout: 1, retries: 3, startPeriod: 0 }), /is unhealthy/);
  assert.match(e.message, /exit 1: curl: \(7\) attempt 4/);
  assert.doesNotMatch(e.message, /attempt 1/);
});

test("'docker' with no HEALTHCHECK on the container is an error, not an endless wait", async () => {
  const h = harness({});
  await rejectsWith(h.run({ kind: 'docker', test: ['CMD', 'true'], interval: 1, timeout: 1, retries: 1, startPeriod: 0 }), /no Docker HEALTHCHECK/);
});

test('a deadline that aborts the wait is what the wait throws', async () => {
  const ac = new AbortController();
  ac.abort(new UserError('deploy stopped after 1800 s (SLIPWAY_DEPLOY_TIMEOUT) during health checks'));
  const deps: HealthDeps = { inspectHealth: async () => running, logTail: async () => [] };
  await rejectsWith(waitHealthy({ id: 'x', ip: '10.0.0.1' }, { kind: 'port' }, deps, { timeoutSeconds: 5, progress: () => {}, signal: ac.signal }), /SLIPWAY_DEPLOY_TIMEOUT/);
});

test('an aborted deploy stops the wait with a UserError', async () => {
  const ac = new AbortController();
  ac.abort();
  const deps: HealthDeps = { inspectHealth: async () => running, logTail: async () => [] };
  await rejectsWith(waitHealthy({ id: 'x', ip: '10.0.0.1' }, { kind: 'port' }, deps, { timeoutSeconds: 5, progress: () => {}, signal: ac.signal }), /deploy aborted/);
});
