// Webhook signatures and push parsing, on the hosts' real example payloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Webhooks } from '@octokit/webhooks';
import { UserError } from '../../../src/errors.js';
import {
  deliveryIdFrom,
  forBranch,
  isIgnored,
  parsePush,
  signGithub,
  verifyGithub,
  verifyGitlab,
  type PushEvent,
} from '../../../src/source/webhooks.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/webhooks');
const github = (f: string) => readFileSync(path.join(FIXTURES, 'github', f));
const gitlab = readFileSync(path.join(FIXTURES, 'gitlab/push-hook.json'));
const githubFiles = readdirSync(path.join(FIXTURES, 'github')).filter((f) => f.endsWith('.json'));
const SECRET = 'It\'s a Secret to Everybody';

test('a GitHub signature made with the app secret verifies, on every real payload, and agrees with @octokit/webhooks', async () => {
  const octokit = new Webhooks({ secret: SECRET });
  for (const f of githubFiles) {
    const body = github(f);
    const sig = signGithub(body, SECRET);
    assert.equal(sig, await octokit.sign(body.toString('utf8')), f);
    assert.ok(await octokit.verify(body.toString('utf8'), sig), f);
    assert.ok(verifyGithub(body, sig, SECRET), f);
  }
});

test("GitHub's documented example signature verifies (docs: validating webhook deliveries)", () => {
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
  const sig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  assert.ok(verifyGithub(Buffer.from('Hello, World!'), sig, SECRET));
});

test('a wrong, missing, truncated or differently-cased-prefix signature is refused', () => {
  const body = github('push-with-new-branch.payload.json');
  const good = signGithub(body, SECRET);
  assert.equal(verifyGithub(body, signGithub(body, 'other secret'), SECRET), false);
  assert.equal(verifyGithub(body, undefined, SECRET), false);
  assert.equal(verifyGithub(body, '', SECRET), false);
  assert.equal(verifyGithub(body, good.slice(0, -2), SECRET), false);
  assert.equal(verifyGithub(body, good + '00', SECRET), false);
  assert.equal(verifyGithub(body, 'sha1=' + good.slice(7), SECRET), false);
  assert.equal(verifyGithub(body, good.replace('sha256=', 'SHA256='), SECRET), false);
  assert.equal(verifyGithub(body, 'sha256=' + 'zz'.repeat(32), SECRET), false);
});

test('an empty app secret never verifies, even against a signature made with the empty key', () => {
  const body = Buffer.from('{}');
  assert.equal(verifyGithub(body, signGithub(body, ''), ''), false);
  assert.equal(verifyGitlab('', ''), false);
});

test('the signature covers the exact bytes: one changed byte, re-serialised JSON or an added newline fail', () => {
  const body = github('push-with-new-branch.payload.json');
  const sig = signGithub(body, SECRET);
  const flipped = Buffer.from(body);
  flipped[100] = flipped[100]! ^ 1;
  assert.equal(verifyGithub(flipped, sig, SECRET), false);
  assert.equal(verifyGithub(Buffer.from(JSON.stringify(JSON.parse(body.toString()))), sig, SECRET), false);
  assert.equal(verifyGithub(Buffer.concat([body, Buffer.from('\n')]), sig, SECRET), false);
});

test('bytes that are not valid UTF-8 still verify as sent (no string round trip)', () => {
  const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
  assert.ok(verifyGithub(body, signGithub(body, SECRET), SECRET));
});

test('Gitea/Forgejo bare-hex signatures verify with the same HMAC', () => {
  const body = github('push-with-new-branch.payload.json');
  assert.ok(verifyGithub(body, signGithub(body, SECRET).slice(7), SECRET));
});

test('a GitLab token verifies only when it equals the secret', () => {
  assert.ok(verifyGitlab(SECRET, SECRET));
  assert.equal(verifyGitlab(SECRET + ' ', SECRET), false);
  assert.equal(verifyGitlab(SECRET.slice(1), SECRET), false);
  assert.equal(verifyGitlab(undefined, SECRET), false);
  assert.equal(verifyGitlab('', SECRET), false);
});

test('every GitHub fixture parses: branch pushes become pushes, pings and tag deletions are ignored', () => {
  const expected: Record<string, string> = {
    'ping-payload.json': 'ping',
    'ping-with-app_id.payload.json': 'ping',
    'ping-with-organization.payload.json': 'ping',
    'push-1.payload.json': 'tag',
    'push-payload.json': 'tag',
    'push-with-installation.payload.json': 'tag',
    'push-with-organization.payload.json': 'tag',
    'push-with-new-branch.payload.json': 'push',
    'push-with-no-username-committer.payload.json': 'push',
  };
  assert.deepEqual(Object.keys(expected).sort(), [...githubFiles].sort());
  for (const f of githubFiles) {
    const event = f.startsWith('ping') ? 'ping' : 'push';
    for (const provider of ['github', 'generic'] as const) {
      const r = parsePush(provider, event, github(f), 'd1');
      if (expected[f] === 'push') {
        assert.ok(!isIgnored(r), f);
        assert.deepEqual(r, {
          provider,
          deliveryId: 'd1',
          repoUrl: 'https://github.com/Codertocat/Hello-World.git',
          ref: 'refs/heads/master',
          branch: 'master',
          sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
          deleted: false,
          message: 'Initial commit',
        });
      } else {
        assert.ok(isIgnored(r), f);
        assert.equal(r.kind, expected[f], f);
      }
    }
  }
});

test('the GitLab Push Hook example parses to its checkout_sha and the head commit message', () => {
  const r = parsePush('gitlab', 'Push Hook', gitlab, 'g1') as PushEvent;
  assert.equal(r.sha, 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
  assert.equal(r.branch, 'master');
  assert.equal(r.repoUrl, 'http://example.com/mike/diaspora.git');
  assert.equal(r.message, 'fixed readme');
  assert.equal(r.provider, 'gitlab');
});

const ghPush = (over: Record<string, unknown>) => {
  const doc = JSON.parse(github('push-with-new-branch.payload.json').toString()) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...doc, ...over }));
};
const glPush = (over: Record<string, unknown>) => {
  const doc = JSON.parse(gitlab.toString()) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...doc, ...over }));
};

test('branch deletions are ignored: deleted:true, an all-zero after, or GitLab checkout_sha null', () => {
  const zeros = '0'.repeat(40);
  assert.equal((parsePush('github', 'push', ghPush({ deleted: true })) as { kind: string }).kind, 'deletion');
  assert.equal((parsePush('github', 'push', ghPush({ after: zeros })) as { kind: string }).kind, 'deletion');
  assert.equal((parsePush('generic', 'push', ghPush({ deleted: undefined, after: zeros })) as { kind: string }).kind, 'deletion');
  assert.equal((parsePush('gitlab', 'Push Hook', glPush({ checkout_sha: null, after: zeros })) as { kind: string }).kind, 'deletion');
});

test('tags, non-branch refs and other events are ignored with a reason', () => {
  const tag = parsePush('github', 'push', ghPush({ ref: 'refs/tags/v1' }));
  assert.ok(isIgnored(tag) && tag.kind === 'tag' && tag.ignore.includes('v1'));
  const notes = parsePush('github', 'push', ghPush({ ref: 'refs/notes/commits' }));
  assert.ok(isIgnored(notes) && notes.kind === 'not-a-branch');
  const issues = parsePush('github', 'issues', Buffer.from('{"action":"opened"}'));
  assert.ok(isIgnored(issues) && issues.kind === 'event');
  assert.equal(issues.ignore, 'event "issues" does not deploy; only push does');
  // GitHub's event names come from @octokit/webhooks: a made-up one is named as such.
  const bogus = parsePush('github', 'pushh', Buffer.from('{}'));
  assert.ok(isIgnored(bogus) && bogus.kind === 'event');
  assert.equal(bogus.ignore, '"pushh", which is not a GitHub event name, does not deploy; only push does');
  const glTag = parsePush('gitlab', 'Tag Push Hook', glPush({ ref: 'refs/tags/v1' }));
  assert.ok(isIgnored(glTag) && glTag.kind === 'tag');
  const mr = parsePush('gitlab', 'Merge Request Hook', Buffer.from('{"object_kind":"merge_request"}'));
  assert.ok(isIgnored(mr) && mr.kind === 'event');
});

test('pushes to another branch than the app deploys are ignored, naming both branches', () => {
  const push = parsePush('github', 'push', ghPush({})) as PushEvent;
  assert.equal(forBranch(push, 'master'), push);
  const other = forBranch(push, 'main');
  assert.ok(isIgnored(other) && other.ignore.includes('master') && other.ignore.includes('main'));
});

test('malformed payloads are a 400 UserError naming the problem', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['not JSON', Buffer.from('{"ref": '), /invalid JSON/],
    ['empty', Buffer.alloc(0), /invalid JSON/],
    ['array', Buffer.from('[1,2]'), /JSON object/],
    ['string', Buffer.from('"push"'), /JSON object/],
    ['null', Buffer.from('null'), /JSON object/],
    ['bad UTF-8', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), /UTF-8/],
    ['no ref', ghPush({ ref: undefined }), /missing field ref/],
    ['ref a number', ghPush({ ref: 5 }), /ref must be a string/],
    ['after missing', ghPush({ after: undefined }), /missing field after/],
    ['after not hex', ghPush({ after: 'HEAD' }), /sha/],
    ['after uppercase', ghPush({ after: '6113728F27AE82C7B1A177C8D03F9E96E0ADF246' }), /sha/],
    ['after too short', ghPush({ after: '6113728f' }), /sha/],
    ['deleted a string', ghPush({ deleted: 'false' }), /deleted must be true or false/],
    ['no repository', ghPush({ repository: undefined }), /missing field repository/],
    ['repository a string', ghPush({ repository: 'x' }), /repository must be an object/],
    ['clone_url missing', ghPush({ repository: { name: 'x' } }), /repository.clone_url/],
    ['head_commit a number', ghPush({ head_commit: 3 }), /head_commit/],
    ['message a number', ghPush({ head_commit: { message: 3 } }), /head_commit.message/],
  ];
  for (const [name, body, re] of cases) {
    assert.throws(
      () => parsePush('github', 'push', body),
      (e: unknown) => e instanceof UserError && e.status === 400 && re.test(e.message),
      name,
    );
  }
  const glCases: [string, Buffer, RegExp][] = [
    ['object_kind wrong', glPush({ object_kind: 'tag_push' }), /object_kind/],
    ['no project', glPush({ project: undefined }), /missing field project/],
    ['checkout_sha a number', glPush({ checkout_sha: 1 }), /checkout_sha/],
    ['commits an object', glPush({ commits: {} }), /commits must be an array/],
    ['git_http_url missing', glPush({ project: {} }), /project.git_http_url/],
  ];
  for (const [name, body, re] of glCases) {
    assert.throws(
      () => parsePush('gitlab', 'Push Hook', body),
      (e: unknown) => e instanceof UserError && e.status === 400 && re.test(e.message),
      name,
    );
  }
});

test('a ping with a malformed body is still malformed (400), not a pong', () => {
  assert.throws(() => parsePush('github', 'ping', Buffer.from('{')), UserError);
});

test('delivery ids are checked and namespaced by provider; a missing one is derived from the body', () => {
  const body = Buffer.from('{}');
  assert.equal(deliveryIdFrom('github', '72d3162e-cc78-11e3-81ab-4c9367dc0958', body), 'github-72d3162e-cc78-11e3-81ab-4c9367dc0958');
  assert.notEqual(deliveryIdFrom('github', 'x', body), deliveryIdFrom('gitlab', 'x', body));
  assert.equal(deliveryIdFrom('gitlab', undefined, body), deliveryIdFrom('gitlab', '', body));
  assert.notEqual(deliveryIdFrom('gitlab', undefined, body), deliveryIdFrom('gitlab', undefined, Buffer.from('{ }')));
  for (const bad of ['a b', 'x\n', "'; DROP TABLE", 'é', 'a'.repeat(129)]) assert.throws(() => deliveryIdFrom('github', bad, body), UserError, bad);
});
