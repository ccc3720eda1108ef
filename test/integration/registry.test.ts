// The registry stage against the real registry: a release is pushed as vN and git-<sha12>,
// listed, addressed by its digest, pulled back for a rollback, and deleted; a registry that
// is down is a transient failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildRevision } from '../../src/build/build.js';
import { createDocker } from '../../src/docker/client.js';
import { imagesLabelled, inspectImage, removeImage } from '../../src/docker/images.js';
import type { BuiltImage } from '../../src/domain.js';
import { TransientError } from '../../src/errors.js';
import { deleteTag, listTags, tagDigest } from '../../src/registry/api.js';
import { pullImage, pushRelease } from '../../src/registry/push.js';

const registry = process.env.SLIPWAY_REGISTRY || '127.0.0.1:5000';
const docker = createDocker({ dockerSocket: process.env.SLIPWAY_DOCKER_SOCKET || '/var/run/docker.sock' });
const app = `rt-${randomBytes(4).toString('hex')}`;
const sha = randomBytes(20).toString('hex');
const tmp = mkdtempSync(path.join(tmpdir(), 'slipway-registry-'));
let image: BuiltImage;

before(async () => {
  writeFileSync(path.join(tmp, 'Dockerfile'), 'FROM debian:bookworm-slim\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n');
  writeFileSync(path.join(tmp, 'hello.txt'), `hello from ${app}\n`);
  image = await buildRevision({ app, sha, ref: 'refs/heads/main', dir: tmp }, { docker, config: {}, appConfig: {}, progress: () => {} });
});

after(async () => {
  await deleteTag(registry, app, 'v1').catch(() => false);
  for (const id of await imagesLabelled(docker, 'slipway.app', app)) await removeImage(docker, id, true);
  rmSync(tmp, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

test('a release is pushed as vN and git-<sha12>, listed by the registry, and addressed by its digest', async () => {
  const lines: string[] = [];
  const ref = await pushRelease(docker, image, { registry, version: 1, progress: (l) => lines.push(l) });
  assert.equal(ref.repository, `${registry}/${app}`);
  assert.deepEqual(ref.tags, ['v1', `git-${sha.slice(0, 12)}`]);
  assert.match(ref.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(ref.ref, `${registry}/${app}@${ref.digest}`);
  assert.ok(lines.some((l) => l.includes(`Pushed ${registry}/${app}:v1`)), lines.join('\n'));

  // What the registry's own HTTP API says, independently of our listTags.
  const res = await fetch(`http://${registry}/v2/${app}/tags/list`);
  const body = (await res.json()) as { name: string; tags: string[] };
  assert.deepEqual(body.tags.sort(), [`git-${sha.slice(0, 12)}`, 'v1']);
  assert.deepEqual(await listTags(registry, app), [`git-${sha.slice(0, 12)}`, 'v1']);
  assert.equal(await tagDigest(registry, app, 'v1'), ref.digest);
  assert.equal(await tagDigest(registry, app, `git-${sha.slice(0, 12)}`), ref.digest);
});

test('a host that lacks the image pulls it back by digest (rollback without a rebuild)', async () => {
  const ref = await pushRelease(docker, image, { registry, version: 1, progress: () => {} });
  for (const id of await imagesLabelled(docker, 'slipway.app', app)) await removeImage(docker, id, true);
  assert.equal(await inspectImage(docker, ref.ref), null);
  const lines: string[] = [];
  await pullImage(docker, ref, (l) => lines.push(l));
  const pulled = await inspectImage(docker, ref.ref);
  assert.ok(pulled, 'the image is local again');
  assert.equal(pulled.labels['slipway.sha'], sha);
  assert.ok(lines.some((l) => l.includes(ref.ref)));
  // Already present: nothing to do, nothing printed.
  const quiet: string[] = [];
  await pullImage(docker, ref, (l) => quiet.push(l));
  assert.deepEqual(quiet, []);
});

test('an app that was never pushed has no tags', async () => {
  assert.deepEqual(await listTags(registry, `rt-none-${randomBytes(4).toString('hex')}`), []);
});

test('deleting a tag removes its manifest from the registry', async () => {
  const other = { ...image, app: `${app}-del` };
  // Same image, another repository: a throwaway to delete.
  const ref = await pushRelease(docker, other, { registry, version: 7, progress: () => {} });
  try {
    assert.ok((await listTags(registry, other.app)).includes('v7'));
    assert.equal(await deleteTag(registry, other.app, 'v7'), true);
    assert.ok(!(await listTags(registry, other.app)).includes('v7'));
    assert.equal(await deleteTag(registry, other.app, 'v7'), false);
  } finally {
    for (const tag of ref.tags) await removeImage(docker, `${ref.repository}:${tag}`);
  }
});

test('a registry that is down makes push and list transient failures (the queue retries)', async () => {
  const down = `127.0.0.1:${await freePort()}`;
  await assert.rejects(pushRelease(docker, image, { registry: down, version: 1, progress: () => {} }), (e: unknown) => {
    assert.ok(e instanceof TransientError, String(e));
    assert.match(e.message, /connection refused/);
    return true;
  });
  await assert.rejects(listTags(down, app), TransientError);
  for (const tag of ['v1', `git-${sha.slice(0, 12)}`]) await removeImage(docker, `${down}/${app}:${tag}`);
});
