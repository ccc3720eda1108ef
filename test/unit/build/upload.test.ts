// Uploaded tars (`slipway deploy APP DIR`): a normal tree unpacks; anything that could write
// outside the destination — absolute paths, "..", escaping links, devices — is refused by name.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { checkEntryName, checkLinkTarget, extractUpload } from '../../../src/build/upload.js';
import { UserError } from '../../../src/errors.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'slipway-upload-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

type Entry = Partial<tar.Header> & { name: string; body?: string };
/** A tar stream crafted entry by entry, as an attacker would. */
function craft(entries: Entry[]): Readable {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  return pack as unknown as Readable;
}

async function extract(entries: Entry[], limits?: Parameters<typeof extractUpload>[2]) {
  const dest = path.join(tmp, `u${n++}`);
  await extractUpload(craft(entries), dest, limits);
  return dest;
}

async function refused(entries: Entry[], pattern: RegExp) {
  const dest = path.join(tmp, `u${n++}`);
  await assert.rejects(extractUpload(craft(entries), dest), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
  return dest;
}

test('a normal upload unpacks files, folders, in-tree symlinks and hard links', async () => {
  const dest = await extract([
    { name: './', type: 'directory' },
    { name: './src/', type: 'directory' },
    { name: './src/app.js', body: 'console.log(1)', mode: 0o644 },
    { name: 'run.sh', body: '#!/bin/sh', mode: 0o755 },
    { name: 'lib', type: 'symlink', linkname: 'src' },
    { name: 'src/up', type: 'symlink', linkname: '../run.sh' },
    { name: 'copy.js', type: 'link', linkname: 'src/app.js' },
    { name: 'deep/er/file.txt', body: 'parents made on the way' },
  ]);
  assert.equal(readFileSync(path.join(dest, 'src/app.js'), 'utf8'), 'console.log(1)');
  assert.equal(readlinkSync(path.join(dest, 'lib')), 'src');
  assert.equal(readFileSync(path.join(dest, 'copy.js'), 'utf8'), 'console.log(1)');
  assert.equal(statSync(path.join(dest, 'run.sh')).mode & 0o777, 0o755);
  assert.equal(readFileSync(path.join(dest, 'deep/er/file.txt'), 'utf8'), 'parents made on the way');
});

test('setuid, setgid and world-writable bits are dropped', async () => {
  const dest = await extract([{ name: 'suid', body: 'x', mode: 0o6777 }]);
  assert.equal(statSync(path.join(dest, 'suid')).mode & 0o7777, 0o755);
});

for (const [name, pattern] of [
  ['/etc/cron.d/evil', /"\/etc\/cron\.d\/evil" is an absolute path/],
  ['../evil', /"\.\.\/evil" has a "\.\." component/],
  ['a/../../evil', /has a "\.\." component/],
  ['a/b/../c', /has a "\.\." component/],
  ['..', /has a "\.\." component/],
  ['C:\\evil', /absolute path/],
  ['a\\..\\..\\evil', /has a "\.\." component/],
] as const) {
  test(`an entry named ${JSON.stringify(name)} is refused`, async () => {
    const dest = await refused([{ name, body: 'x' }], pattern);
    assert.equal(existsSync(path.join(dest, '..', 'evil')), false);
  });
}

for (const [linkname, pattern] of [
  ['/etc', /"link" is a symlink to an absolute path \(\/etc\)/],
  ['..', /"link" is a symlink to \.\., outside the upload/],
  ['../../../../etc/passwd', /outside the upload/],
  ['sub/../../x', /outside the upload/],
] as const) {
  test(`a symlink to ${linkname} is refused`, async () => {
    await refused([{ name: 'link', type: 'symlink', linkname }], pattern);
  });
}

test('a nested symlink is checked from its own folder', async () => {
  await refused([{ name: 'a/b/link', type: 'symlink', linkname: '../../..' }], /"a\/b\/link" is a symlink to \.\.\/\.\.\/\.\., outside/);
  const dest = await extract([{ name: 'a/b/link', type: 'symlink', linkname: '../../x' }]);
  assert.equal(readlinkSync(path.join(dest, 'a/b/link')), '../../x');
});

test('nothing is written through a symlink made by an earlier entry', async () => {
  const dest = await refused(
    [
      { name: 'sub/', type: 'directory' },
      { name: 'd', type: 'symlink', linkname: 'sub' },
      { name: 'd/file', body: 'through the link' },
    ],
    /"d\/file" would be written through d, which is not a folder/,
  );
  assert.equal(existsSync(path.join(dest, 'sub/file')), false);
});

test('a file can not replace an earlier symlink (which might point anywhere)', async () => {
  await refused(
    [
      { name: 'x', type: 'symlink', linkname: 'y' },
      { name: 'x', body: 'overwrite' },
    ],
    /"x" would overwrite a symlink from an earlier entry/,
  );
});

test('links that only escape together (d -> ., e -> d/..) are refused after unpacking', async () => {
  await refused(
    [
      { name: 'd', type: 'symlink', linkname: '.' },
      { name: 'e', type: 'symlink', linkname: 'd/..' },
    ],
    /upload refused: e is a symlink that resolves outside/,
  );
});

for (const [linkname, pattern] of [
  ['/etc/passwd', /"hard" is a link to an absolute path/],
  ['../outside', /outside the upload/],
  ['missing.txt', /which is not a file earlier in the upload/],
] as const) {
  test(`a hard link to ${linkname} is refused`, async () => {
    await refused([{ name: 'hard', type: 'link', linkname }], pattern);
  });
}

for (const type of ['character-device', 'block-device', 'fifo'] as const) {
  test(`a ${type} entry is refused`, async () => {
    await refused([{ name: 'dev', type, devmajor: 1, devminor: 3 }], new RegExp(`"dev" is a ${type}`));
  });
}

test('uploads over the size or entry limits are refused', async () => {
  const dest = path.join(tmp, `u${n++}`);
  await assert.rejects(extractUpload(craft([{ name: 'big', body: 'x'.repeat(100) }]), dest, { maxBytes: 10 }), /more than 10 bytes/);
  await assert.rejects(
    extractUpload(craft([{ name: 'a', body: '' }, { name: 'b', body: '' }]), path.join(tmp, `u${n++}`), { maxEntries: 1 }),
    /more than 1 entries/,
  );
});

test('garbage instead of a tar is an error, not a hang', async () => {
  await assert.rejects(extractUpload(Readable.from([Buffer.alloc(1024, 7)]), path.join(tmp, `u${n++}`)));
});

test('entry names and link targets are checked as pure values', () => {
  assert.deepEqual(checkEntryName('./a//b/./c'), { rel: 'a/b/c' });
  assert.deepEqual(checkEntryName('./'), { rel: '' });
  assert.deepEqual(checkEntryName('a\0b'), { problem: 'contains a NUL byte' });
  assert.equal(checkLinkTarget('a/b', '../c', 'symlink'), null);
  assert.match(checkLinkTarget('a/b', '../c', 'link') ?? '', /outside/);
  assert.equal(checkLinkTarget('x', 'a/b', 'link'), null);
  assert.ok(lstatSync(tmp).isDirectory());
});
