// The seeded base images' digests: which FROM names a recorded image, and a build refusing one
// whose digest changed in the registry or in the engine's local copy, saying how to re-seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalImage, checkBaseImages, type BaseImage, type BaseImageDeps } from '../../../src/build/base-images.js';
import { TransientError, UserError } from '../../../src/errors.js';

const SEEDED = 'sha256:' + 'a'.repeat(64);
const OTHER = 'sha256:' + 'b'.repeat(64);
const node: BaseImage = { name: 'node:18-slim', registry: '127.0.0.1:5000', repository: 'library/node', tag: '18-slim', digest: SEEDED };

function deps(registry: string | null, local: string[] | null = null): BaseImageDeps & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    records: [node],
    registryDigest: async (r, repo, tag) => {
      asked.push(`${r}/${repo}:${tag}`);
      return registry;
    },
    localDigests: async () => local,
  };
}

test('canonicalImage: Docker Hub spellings are one name; other registries keep their host; digests are already pinned', () => {
  for (const ref of ['node:18-slim', 'library/node:18-slim', 'docker.io/library/node:18-slim', 'index.docker.io/library/node:18-slim']) assert.equal(canonicalImage(ref), 'node:18-slim', ref);
  assert.equal(canonicalImage('node'), 'node:latest');
  assert.equal(canonicalImage('acme/app:2'), 'acme/app:2');
  assert.equal(canonicalImage('127.0.0.1:5000/library/node:18-slim'), '127.0.0.1:5000/library/node:18-slim');
  assert.equal(canonicalImage('localhost/x'), 'localhost/x:latest');
  assert.equal(canonicalImage('node@' + SEEDED), null);
});

test('a recorded base image whose registry digest is still the seeded one passes; others are not looked up', async () => {
  const d = deps(SEEDED, [`127.0.0.1:5000/library/node@${SEEDED}`]);
  const said: string[] = [];
  await checkBaseImages(['docker.io/library/node:18-slim', 'python:3.12', 'node@' + OTHER], d, (l) => said.push(l));
  assert.deepEqual(d.asked, ['127.0.0.1:5000/library/node:18-slim']);
  assert.match(said.join('\n'), /node:18-slim is the seeded one/);
});

test('a base image pushed over in the registry is refused, naming it, both digests and how to re-seed', async () => {
  await assert.rejects(checkBaseImages(['node:18-slim'], deps(OTHER)), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /base image node:18-slim changed behind Slipway's back/);
    assert.ok(e.message.includes(OTHER) && e.message.includes(SEEDED));
    assert.match(e.message, /bash scripts\/base-images\.sh --reseed node:18-slim/);
    return true;
  });
  await assert.rejects(checkBaseImages(['node:18-slim'], deps(null)), /no longer has it/);
});

test('a local copy that is not the seeded image is refused; an unreachable registry is transient', async () => {
  await assert.rejects(checkBaseImages(['node:18-slim'], deps(SEEDED, [`node@${OTHER}`])), (e: unknown) => e instanceof UserError && /local copy is not the seeded/.test(e.message));
  await assert.rejects(checkBaseImages(['node:18-slim'], deps(SEEDED, [])), UserError);
  const down = { ...deps(SEEDED), registryDigest: async () => Promise.reject(new Error('connection refused')) };
  await assert.rejects(checkBaseImages(['node:18-slim'], down), TransientError);
});
