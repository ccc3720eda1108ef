// What the set-up scripts guarantee on this machine: the registry and Redis (no credentials) are
// reachable from loopback only, and an address that is not loopback is refused before anything
// changes; the data dir is made private on every run; the seeded base images' digests are recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { ROOT } from '../helpers/server.js';

const run = promisify(execFile);
/** The machine's Redis password (a run with another data dir must still talk to that Redis). */
const REDIS_PASSWORD_FILE = process.env.SLIPWAY_REDIS_PASSWORD_FILE ?? '/var/lib/slipway/redis.password';

/** Runs a function of scripts/lib.sh; resolves to its exit code and output. */
async function libSh(script: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('bash', ['-c', `source ${ROOT}/scripts/lib.sh; trap - EXIT; ${script}`]);
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

test('a registry or Redis address that is not loopback is refused, naming the setting', async () => {
  for (const ok of ['127.0.0.1:5000', 'localhost:5000', '[::1]:5000', 'redis://127.0.0.1:6379', 'redis://:pw@localhost:6379/0'])
    assert.equal((await libSh(`require_loopback registry '${ok}' SLIPWAY_REGISTRY`)).code, 0, ok);
  for (const bad of ['0.0.0.0:5000', '10.1.2.3:5000', '[::]:5000', 'registry.example.com:5000', '127.example.com:5000', 'redis://0.0.0.0:6379']) {
    const r = await libSh(`require_loopback registry '${bad}' SLIPWAY_REGISTRY`);
    assert.notEqual(r.code, 0, bad);
    assert.match(r.out, new RegExp(`SLIPWAY_REGISTRY=.*must listen on loopback only`), bad);
  }
});

test('the registry and Redis listen on loopback only', async () => {
  const { stdout } = await run('ss', ['-H', '-ltnp']);
  for (const [port, allowed] of [[5000, 'haproxy'], [6379, '']] as const) {
    // On a swarm manager HAProxy's read-only registry door listens on the cluster address, on
    // purpose (a swarm test may run beside this one); the registry itself stays on loopback.
    const lines = stdout.split('\n').filter((l) => (l.trim().split(/\s+/)[3] ?? '').endsWith(`:${port}`));
    assert.ok(lines.length > 0, `nothing listens on ${port}`);
    for (const l of lines.filter((l) => !allowed || !l.includes(`(("${allowed}",`)))
      assert.match(l.trim().split(/\s+/)[3]!, /^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/, `port ${port} listens beyond loopback: ${l}`);
    assert.equal((await libSh(`listens_on_loopback_only ${port} ${allowed}`)).code, 0);
  }
});

test('infra.sh makes an existing 0755 data dir private and records the seeded base images\' digests (0600)', async (t) => {
  const data = mkdtempSync(path.join(os.tmpdir(), 'slipway-infra-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  chmodSync(data, 0o755);
  await run('bash', [path.join(ROOT, 'scripts/infra.sh')], { env: { ...process.env, SLIPWAY_DATA: data, SLIPWAY_REDIS_PASSWORD_FILE: REDIS_PASSWORD_FILE }, maxBuffer: 16 * 1024 * 1024 });
  assert.equal(statSync(data).mode & 0o777, 0o700);
  const file = path.join(data, 'base-images.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const { images } = JSON.parse(readFileSync(file, 'utf8')) as { images: { name: string; registry: string; repository: string; tag: string; digest: string }[] };
  assert.deepEqual(images.map((i) => i.name).sort(), ['debian:bookworm-slim', 'node:18-slim', 'node:22-slim', 'node:24-slim', 'python:3.11-slim']);
  for (const i of images) {
    const res = await fetch(`http://${i.registry}/v2/${i.repository}/manifests/${i.tag}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(res.headers.get('docker-content-digest'), i.digest, i.name);
  }
});

test("Redis refuses a client without the password infra.sh generated (0600); Slipway's config carries it", async () => {
  const file = REDIS_PASSWORD_FILE;
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const password = readFileSync(file, 'utf8').trim();
  assert.ok(password.length >= 32, 'a generated password');
  const bare = await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'lpush', 'slipway-injected', 'x']);
  assert.match(bare.stdout + bare.stderr, /NOAUTH/);
  const client = new Redis(loadConfig().redisUrl, { maxRetriesPerRequest: 1 });
  try {
    assert.equal(await client.ping(), 'PONG');
  } finally {
    client.disconnect();
  }
});
