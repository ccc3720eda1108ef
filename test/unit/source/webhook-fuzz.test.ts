// Fuzz: 1,200 mutated deliveries through the real router over HTTP. Every one must be answered
// 4xx with a JSON error, the server must stay up, and nothing may reach the queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { signGithub } from '../../../src/source/webhooks.js';
import { SECRET, post, startHarness } from './webhook-server.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/webhooks');
const BODIES = [
  ...readdirSync(path.join(FIXTURES, 'github')).map((f) => readFileSync(path.join(FIXTURES, 'github', f))),
  readFileSync(path.join(FIXTURES, 'gitlab/push-hook.json')),
];
const PUSH = readFileSync(path.join(FIXTURES, 'github/push-with-new-branch.payload.json'));
const GITLAB = readFileSync(path.join(FIXTURES, 'gitlab/push-hook.json'));

/** Deterministic PRNG (mulberry32) so a failure reproduces from the printed case number. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, bytes };
}

interface Case {
  kind: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | { repeat: number; chunk: Buffer };
}

const GITHUB_EVENTS = ['push', 'ping'];
const JUNK_TYPES = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsn', '*/*', 'application', ';;;'];
const printable = (r: ReturnType<typeof rng>, n: number) => Array.from({ length: n }, () => String.fromCharCode(33 + r.int(94))).join('');

function signed(body: Buffer, event = 'push', delivery = 'fz'): Record<string, string> {
  return { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': signGithub(body, SECRET) };
}

function makeCase(i: number): Case {
  const r = rng(i * 7919 + 1);
  const base = r.pick(BODIES);
  const delivery = `fz-${i}`;
  switch (i % 12) {
    case 0: {
      // Bit flips after signing: the signature no longer matches.
      const body = Buffer.from(PUSH);
      for (let k = 0, flips = 1 + r.int(8); k < flips; k++) {
        const at = r.int(body.length);
        body[at] = body[at]! ^ (1 << r.int(8));
      }
      return { kind: 'bitflip', path: '/webhooks/github/demo', headers: signed(PUSH, 'push', delivery), body };
    }
    case 1: {
      // Truncated after signing.
      return { kind: 'truncated', path: '/webhooks/github/demo', headers: signed(PUSH, 'push', delivery), body: PUSH.subarray(0, r.int(PUSH.length)) };
    }
    case 2: {
      // Random headers: junk signature values, junk extra headers, never the right signature.
      const headers: Record<string, string> = { 'content-type': r.pick([...JUNK_TYPES, 'application/json']), 'x-github-event': r.pick(GITHUB_EVENTS) };
      const sig = r.pick(['', 'sha256=', 'sha256=' + r.bytes(32).toString('hex'), 'sha1=' + r.bytes(20).toString('hex'), printable(r, 1 + r.int(100)), r.bytes(32).toString('hex')]);
      if (sig) headers['x-hub-signature-256'] = sig;
      for (let k = 0, extra = r.int(5); k < extra; k++) headers[`x-${printable(r, 6).replace(/[^a-z]/gi, 'a').toLowerCase()}`] = printable(r, r.int(50) + 1);
      return { kind: 'random-headers', path: '/webhooks/github/demo', headers, body: base };
    }
    case 3: {
      // A valid signature, but a wrong content type.
      return { kind: 'content-type', path: '/webhooks/github/demo', headers: { ...signed(PUSH, 'push', delivery), 'content-type': r.pick(JUNK_TYPES) }, body: PUSH };
    }
    case 4: {
      // A valid signature over random bytes.
      const body = r.bytes(r.int(4096));
      return { kind: 'signed-garbage', path: '/webhooks/github/demo', headers: signed(body, 'push', delivery), body };
    }
    case 5: {
      // A valid signature over JSON cut short: the top-level object is never closed.
      const cut = PUSH.subarray(0, r.int(PUSH.lastIndexOf('}')));
      return { kind: 'signed-truncated-json', path: '/webhooks/github/demo', headers: signed(cut, r.pick(GITHUB_EVENTS), delivery), body: cut };
    }
    case 6: {
      // A valid signature over JSON with a control byte or invalid UTF-8 inserted anywhere.
      const at = r.int(PUSH.length);
      const body = Buffer.concat([PUSH.subarray(0, at), Buffer.from([r.pick([0x01, 0x08, 0x0b, 0x1f, 0xff, 0xc0, 0x80])]), PUSH.subarray(at)]);
      return { kind: 'signed-bad-bytes', path: '/webhooks/github/demo', headers: signed(body, 'push', delivery), body };
    }
    case 7: {
      // A valid signature over a push with a required field removed or mistyped.
      const doc = JSON.parse(PUSH.toString()) as Record<string, unknown>;
      const field = r.pick(['ref', 'after', 'repository']);
      doc[field] = r.pick([undefined, null, 42, [], true, { a: 1 }, r.pick(['HEAD', '--upload-pack=x', 'zz'])]);
      if (field === 'ref' && typeof doc.ref === 'string') doc.ref = 42;
      const body = Buffer.from(JSON.stringify(doc));
      return { kind: 'signed-bad-field', path: '/webhooks/github/demo', headers: signed(body, 'push', delivery), body };
    }
    case 8: {
      // GitLab with a wrong or missing token.
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook' };
      const token = r.pick(['', SECRET.slice(1), SECRET + 'x', SECRET.toUpperCase(), printable(r, 30)]);
      if (token) headers['x-gitlab-token'] = token;
      return { kind: 'gitlab-token', path: '/webhooks/gitlab/demo', headers, body: GITLAB };
    }
    case 9: {
      // GitLab, right token, garbage body or bad delivery id.
      const garbage = r.next() < 0.5;
      return {
        kind: 'gitlab-garbage',
        path: '/webhooks/gitlab/demo',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': garbage ? delivery : 'bad id ' + printable(r, 5) },
        body: garbage ? GITLAB.subarray(0, r.int(GITLAB.lastIndexOf('}'))) : GITLAB,
      };
    }
    case 10: {
      // Unknown apps and hostile app names.
      const name = r.pick(['nope', 'DEMO', 'demo.git', '..', '%2e%2e', 'a'.repeat(80), encodeURIComponent('demo\n'), '-demo-']);
      return { kind: 'unknown-app', path: `/webhooks/${r.pick(['github', 'gitlab', 'generic'])}/${name}`, headers: signed(PUSH, 'push', delivery), body: PUSH };
    }
    default: {
      // Huge bodies (only a few: each is 26 MB on loopback), the rest a bad generic signature.
      if (i % 120 === 11)
        return { kind: 'huge', path: '/webhooks/github/demo', headers: { ...signed(PUSH, 'push', delivery), 'content-length': String(26 * 1024 * 1024) }, body: { repeat: 26, chunk: r.bytes(1024 * 1024) } };
      return { kind: 'generic-bad-sig', path: '/webhooks/generic/demo', headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-signature': r.bytes(32).toString('hex') }, body: PUSH };
    }
  }
}

test('1,200 mutated deliveries are each answered 4xx with a JSON error, and none is queued', { timeout: 600_000 }, async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const counts: Record<string, number> = {};
  const CASES = 1200;
  const CONCURRENCY = 8;
  let nextCase = 0;
  const worker = async () => {
    while (nextCase < CASES) {
      const i = nextCase++;
      const c = makeCase(i);
      const reply = await post(h.port, c.path, c.headers, c.body);
      assert.ok(reply.status >= 400 && reply.status < 500, `case ${i} (${c.kind}): status ${reply.status} ${JSON.stringify(reply.json).slice(0, 200)}`);
      assert.equal(typeof reply.json.error, 'string', `case ${i} (${c.kind}): no JSON error: ${JSON.stringify(reply.json).slice(0, 200)}`);
      counts[`${c.kind} ${reply.status}`] = (counts[`${c.kind} ${reply.status}`] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  assert.equal(h.enqueued.length, 0);
  t.diagnostic(JSON.stringify(counts));
  // Still serving: a genuine delivery after the storm is queued.
  const ok = await post(h.port, '/webhooks/github/demo', signed(PUSH, 'push', 'after-fuzz'), PUSH);
  assert.equal(ok.status, 202);
  assert.equal(h.enqueued.length, 1);
});
