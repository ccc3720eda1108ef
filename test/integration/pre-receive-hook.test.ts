// The pre-receive hook relays a deploy's whole output to `git push`, however long: the last
// lines (why a deploy failed) are the ones that matter. Against a stand-in for Slipway's API.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STATUS_PREFIX } from '../../src/queue/progress.js';
import { GitRepos } from '../../src/source/repos.js';
import { repoFrom } from '../helpers/git.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-hook-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a deploy output of 200,000 lines reaches the pusher to its last line, and a failure rejects the push', async (t) => {
  const LINES = 200_000;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 1; i <= LINES; i++) res.write(`       build output line ${i}\n`);
      res.end(` !     the last line says why\n${STATUS_PREFIX}${JSON.stringify({ status: 'failed', error: 'why' })}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const bare = await new GitRepos(path.join(dir, 'repos')).ensure('hooked');
  const repo = await repoFrom(null, { 'README.md': 'hi\n' });
  await repo.commit('one');
  const env = { SLIPWAY_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, SLIPWAY_TOKEN: 't', SLIPWAY_APP: 'hooked', SLIPWAY_DEPLOY_BRANCHES: 'main' };
  Object.assign(process.env, env);
  t.after(() => Object.keys(env).forEach((k) => delete process.env[k]));
  const pushed = await repo.push(bare, 'HEAD:refs/heads/main');
  assert.notEqual(pushed.code, 0);
  assert.match(pushed.output, /pre-receive hook declined/);
  assert.equal((pushed.output.match(/build output line \d+/g) ?? []).length, LINES);
  assert.match(pushed.output, /remote: {2}! {5}the last line says why/);
});
