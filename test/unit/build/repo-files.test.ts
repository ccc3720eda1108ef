// Files Slipway parses from a repo have size caps: one too large is refused with its name and the
// cap before anything is built, instead of holding the server's event loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { buildRevision } from '../../../src/build/build.js';
import { REPO_FILE_LIMITS, readRepoFile } from '../../../src/build/repo-files.js';
import { UserError } from '../../../src/errors.js';

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-repofiles-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  return dir;
}

/** A Docker Engine the build must never reach: the repo's files are checked first. */
const noDocker = new Proxy({}, { get: () => assert.fail('the engine was called before the repo files were checked') }) as Dockerode;

const tooLarge = (kind: keyof typeof REPO_FILE_LIMITS) => 'x: 1\n'.repeat(Math.ceil((REPO_FILE_LIMITS[kind] + 10) / 5));

for (const [file, kind] of [
  ['docker-compose.yml', 'compose file'],
  ['app.json', 'app.json'],
  ['Procfile', 'Procfile'],
  ['Dockerfile', 'Dockerfile'],
] as const) {
  test(`${kind} over its cap is refused before the build, naming the file and the cap`, async () => {
    const dir = repo({ [file]: tooLarge(kind) });
    try {
      await assert.rejects(
        buildRevision({ app: 'demo', sha: 'a'.repeat(40), ref: 'refs/heads/main', dir }, { docker: noDocker, config: {}, appConfig: {}, progress: () => undefined }),
        (e: Error) => {
          assert.ok(e instanceof UserError, String(e));
          assert.match(e.message, new RegExp(`^${file} is [\\d.]+ [KM]iB: Slipway reads at most [\\d.]+ [KM]iB of an? ${kind}`));
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('readRepoFile: a file under the cap is read, a missing one is null, a symlink out of the repo is refused', () => {
  const dir = repo({ 'web.env': 'A=1\n' });
  try {
    assert.equal(readRepoFile(dir, 'web.env', 'env file'), 'A=1\n');
    assert.equal(readRepoFile(dir, 'missing.env', 'env file'), null);
    writeFileSync(path.join(dir, 'big.env'), 'A=1\n'.repeat(REPO_FILE_LIMITS['env file'] / 4 + 1));
    assert.throws(() => readRepoFile(dir, 'big.env', 'env file'), /big\.env is 257 KiB: Slipway reads at most 256 KiB of an env file/);
    symlinkSync('/etc/hostname', path.join(dir, 'out.env'));
    assert.throws(() => readRepoFile(dir, 'out.env', 'env file'), /symlink to a file outside the repository/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
