// Releases name their images for good: the app's image by registry digest (a release without
// one is refused before anything runs), and each compose `image:` pinned when the release is
// made and kept while the compose file names the same image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { loadConfig } from '../../../src/config.js';
import { isPinnedImage, type Release } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { dockerRolloutPorts } from '../../../src/deploy/ports.js';
import { pinServiceImages } from '../../../src/deploy/services.js';
import { pullImage } from '../../../src/registry/push.js';
import { serviceSpec } from '../../helpers/specs.js';

const DIGEST = 'sha256:' + 'c'.repeat(64);

test('isPinnedImage: repo@sha256 or a bare image id; never a tag', () => {
  for (const ok of [`127.0.0.1:5000/demo@${DIGEST}`, `redis@${DIGEST}`, DIGEST]) assert.ok(isPinnedImage(ok), ok);
  for (const bad of ['127.0.0.1:5000/demo:v3', 'redis:7', `redis@sha256:abc`, 'sha256:xyz', `redis:7@${DIGEST} x`]) assert.ok(!isPinnedImage(bad), bad);
});

test('a release whose image is a tag is refused before anything runs (start and pull)', async () => {
  const touched: string[] = [];
  const spy = new Proxy({}, { get: (_t, k) => (touched.push(String(k)), () => Promise.reject(new Error('touched'))) });
  const ports = dockerRolloutPorts({ docker: spy as Dockerode, containers: spy as never, networks: spy as never, proxy: spy as never, config: loadConfig({}, { dataDir: '/nonexistent' }) });
  const release = {
    app: 'demo',
    version: 3,
    image: { repository: '127.0.0.1:5000/demo', tags: ['v3'], digest: '', ref: '127.0.0.1:5000/demo:v3' },
    config: {},
  } as unknown as Release;
  await assert.rejects(ports.start(release, serviceSpec(), 'blue', 1), (e: unknown) => e instanceof UserError && /not by digest/.test(e.message));
  await assert.rejects(pullImage(spy as Dockerode, release.image), (e: unknown) => e instanceof UserError && /not pinned by digest/.test(e.message));
  assert.deepEqual(touched, []);
});

test('compose images are pinned once and keep their pin while the file names the same image', async () => {
  const pinned: string[] = [];
  const pin = async (image: string) => (pinned.push(image), `${image.split(':')[0]}@${DIGEST}`);
  const first = await pinServiceImages([serviceSpec({ name: 'web' }), serviceSpec({ name: 'redis', image: 'redis:7' })], [], pin);
  assert.deepEqual(pinned, ['redis:7']);
  assert.equal(first[1]!.image, `redis@${DIGEST}`);
  assert.equal(first[1]!.imageTag, 'redis:7');
  assert.equal(first[0]!.image, undefined);
  // A config change re-derives `image: redis:7`: same pin, no lookup (the tag may have moved since).
  const again = await pinServiceImages([serviceSpec({ name: 'web' }), serviceSpec({ name: 'redis', image: 'redis:7' })], first, pin);
  assert.deepEqual(pinned, ['redis:7']);
  assert.equal(again[1]!.image, `redis@${DIGEST}`);
  // `image: redis:${V}` whose value changed is a new image: pinned anew.
  await pinServiceImages([serviceSpec({ name: 'redis', image: 'redis:8' })], first, pin);
  assert.deepEqual(pinned, ['redis:7', 'redis:8']);
  // Already pinned in the file: left as written.
  const literal = await pinServiceImages([serviceSpec({ name: 'x', image: `redis@${DIGEST}` })], [], pin);
  assert.equal(literal[0]!.image, `redis@${DIGEST}`);
  assert.equal(literal[0]!.imageTag, undefined);
});
