// Hostile tars sent where `slipway deploy` and the git hook send theirs (POST
// /api/apps/APP/deploys): path traversal, absolute paths, links that escape. Each deploy fails
// naming the entry, nothing is written outside the extraction directory, and the server serves on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

let s: TestServer;
let app: string;
const token = randomBytes(4).toString('hex');
/** Where a successful attack would have written: checked to stay absent. */
const target = (what: string) => path.join(os.tmpdir(), `slipway-hostile-${token}-${what}`);

before(async () => {
  s = await startTestServer();
  app = uniqueName('hostile');
  assert.equal((await s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
});
after(async () => {
  for (const f of readdirSync(os.tmpdir()).filter((f) => f.startsWith(`slipway-hostile-${token}`))) rmSync(path.join(os.tmpdir(), f), { recursive: true, force: true });
  await s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

type Entry = Partial<tar.Header> & { name: string; body?: string };
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  return buffer(pack);
}

/** Deploys the tar and returns the whole streamed output (ending with the status line). */
async function deploy(entries: Entry[]): Promise<string> {
  const res = await s.api(`/api/apps/${app}/deploys`, { method: 'POST', headers: { 'content-type': 'application/x-tar' }, body: new Uint8Array(await tarOf(entries)) });
  assert.equal(res.status, 200);
  return res.text();
}

/** Deeper than any extraction directory, so it would reach `/`. */
const up = '../'.repeat(20);
const index = { name: 'index.html', body: '<h1>decoy</h1>' };

const cases: { what: string; entries: () => Entry[]; refusal: RegExp; written: string }[] = [
  { what: 'a ../ path', entries: () => [index, { name: `${up}${target('dotdot').slice(1)}`, body: 'pwned' }], refusal: /has a "\.\." component/, written: target('dotdot') },
  { what: 'an absolute path', entries: () => [index, { name: target('abs'), body: 'pwned' }], refusal: /is an absolute path/, written: target('abs') },
  {
    what: 'a file written through an escaping symlink',
    entries: () => [index, { name: 'out', type: 'symlink', linkname: path.dirname(target('x')) }, { name: `out/${path.basename(target('via-link'))}`, body: 'pwned' }],
    refusal: /"out" is a symlink to an absolute path/,
    written: target('via-link'),
  },
  {
    what: 'a relative symlink out of the tree',
    entries: () => [index, { name: 'up', type: 'symlink', linkname: up.slice(0, -1) }, { name: `up${target('rel-link')}`, body: 'pwned' }],
    refusal: /"up" is a symlink to .*, outside the upload/,
    written: target('rel-link'),
  },
  {
    what: 'a hard link to a file outside',
    entries: () => [index, { name: 'passwd', type: 'link', linkname: '/etc/passwd' }],
    refusal: /"passwd" is a link to an absolute path/,
    written: '',
  },
  {
    what: 'a hard link climbing out',
    entries: () => [index, { name: 'host', type: 'link', linkname: `${up}etc/hostname` }],
    refusal: /"host" is a link to .*, outside the upload/,
    written: '',
  },
];

for (const c of cases) {
  test(`a tar with ${c.what} is refused with the entry named; nothing is written outside`, async () => {
    const before = readdirSync(s.dataDir).filter((f) => f.startsWith('src-'));
    const out = await deploy(c.entries());
    assert.match(out, /upload refused: entry /);
    assert.match(out, c.refusal);
    assert.match(out, /slipway-status \{"status":"failed"/);
    if (c.written) assert.equal(existsSync(c.written), false, `${c.written} was written`);
    assert.deepEqual(readdirSync(s.dataDir).filter((f) => f.startsWith('src-')), before, 'the extraction directory is removed');
  });
}

test('after the hostile tars, an honest one deploys and /etc is untouched', async () => {
  const passwd = readFileSync('/etc/passwd', 'utf8');
  const out = await deploy([{ name: 'index.html', body: `<h1>honest ${token}</h1>` }]);
  assert.match(out, /Deployed v\d+/);
  assert.equal(readFileSync('/etc/passwd', 'utf8'), passwd);
  const releases = (await (await s.api(`/api/apps/${app}/releases`)).json()) as { status: string }[];
  assert.equal(releases[0]?.status, 'active');
});
