// Which releases an app keeps, and what goes with the ones it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRetention, type DeploymentFacts, type ReleaseFacts } from '../../../src/retention/plan.js';

const at = (n: number) => `2024-05-01T10:00:${String(n).padStart(2, '0')}.000Z`;
/** v1..vN, one image each, the newest active. */
function releases(n: number, over: Record<number, Partial<ReleaseFacts>> = {}): ReleaseFacts[] {
  return Array.from({ length: n }, (_, i) => {
    const version = i + 1;
    return { version, status: version === n ? 'active' : 'superseded', digest: `sha256:${version}`, createdAt: at(version * 2), ...over[version] };
  });
}
/** One finished deployment per release, with its build, just before it. */
const deploysOf = (rs: ReleaseFacts[]): DeploymentFacts[] =>
  rs.map((r) => ({ id: r.version, status: 'succeeded', trigger: 'push', releaseVersion: r.version, buildId: 100 + r.version, createdAt: at(r.version * 2 - 1) }));

test('the last N releases stay; older ones go with their images, deployments and builds', () => {
  const rs = releases(5);
  const plan = planRetention(3, rs, deploysOf(rs));
  assert.deepEqual(plan.releases, [2, 1]);
  assert.deepEqual(plan.digests, ['sha256:2', 'sha256:1']);
  assert.deepEqual(plan.deployments, [1, 2]);
  assert.deepEqual(plan.builds, [101, 102]);
  assert.deepEqual(plan.keptDigests, ['sha256:5', 'sha256:4', 'sha256:3']);
});

test('nothing goes while an app has no more than N releases', () => {
  const rs = releases(3);
  assert.deepEqual(planRetention(10, rs, deploysOf(rs)), { releases: [], digests: [], deployments: [], builds: [], keptDigests: ['sha256:3', 'sha256:2', 'sha256:1'] });
});

test('the active release stays even when older than the last N (after a rollback to it)', () => {
  // v1 serves again: rolled back to by a release that later failed, then two failed pushes.
  const rs = releases(5, { 1: { status: 'active' }, 5: { status: 'failed' }, 4: { status: 'failed' }, 3: { status: 'failed' } });
  const plan = planRetention(2, rs, deploysOf(rs));
  assert.deepEqual(plan.releases, [3, 2]);
  assert.ok(plan.keptDigests.includes('sha256:1'));
});

test('a release being deployed, and the target of a queued or running rollback, stay', () => {
  const rs = releases(8, { 8: { status: 'deploying' }, 7: { status: 'active' } });
  const ds: DeploymentFacts[] = [
    ...deploysOf(rs).slice(0, 7),
    { id: 50, status: 'queued', trigger: 'rollback', releaseVersion: null, buildId: null, rollbackTo: 2, createdAt: at(40) },
    { id: 51, status: 'running', trigger: 'rollback', releaseVersion: null, buildId: null, rollbackTo: 3, createdAt: at(41) },
  ];
  const plan = planRetention(1, rs, ds);
  assert.deepEqual(plan.releases, [6, 5, 4, 1]);
  for (const v of [8, 7, 3, 2]) assert.ok(plan.keptDigests.includes(`sha256:${v}`), `v${v} stays`);
  assert.ok(!plan.deployments.includes(50) && !plan.deployments.includes(51), 'unfinished deployments stay');
});

test('a queued rollback without a version keeps the release it would go back to', () => {
  const rs = releases(6);
  const ds = [...deploysOf(rs), { id: 60, status: 'queued', trigger: 'rollback', releaseVersion: null, buildId: null, createdAt: at(59) }];
  const plan = planRetention(1, rs, ds);
  assert.deepEqual(plan.releases, [4, 3, 2, 1]);
});

test('an image a kept release reuses (a rollback release) is not deleted with its first release', () => {
  // v4 is "Rollback to v1": it runs v1's image.
  const rs = releases(4, { 4: { digest: 'sha256:1' } });
  const plan = planRetention(2, rs, deploysOf(rs));
  assert.deepEqual(plan.releases, [2, 1]);
  assert.deepEqual(plan.digests, ['sha256:2']);
});

test('deployments without a release (a failed build) older than the oldest kept release go, with their build', () => {
  const rs = releases(4);
  const failed: DeploymentFacts = { id: 9, status: 'failed', trigger: 'push', releaseVersion: null, buildId: 200, createdAt: at(4) };
  const late: DeploymentFacts = { id: 10, status: 'failed', trigger: 'push', releaseVersion: null, buildId: 201, createdAt: at(30) };
  const plan = planRetention(2, rs, [...deploysOf(rs), failed, late]);
  assert.deepEqual(plan.deployments.sort((a, b) => a - b), [1, 2, 9]);
  assert.deepEqual(plan.builds.sort((a, b) => a - b), [101, 102, 200]);
});
