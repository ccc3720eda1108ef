// Credentials at rest and in logs: encrypted under a 0600 key file, never printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import {
  credentialSecrets,
  decrypt,
  encrypt,
  loadOrCreateKey,
  openCredential,
  redact,
  sealCredential,
} from '../../../src/source/secrets.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the key file is created 0600 on first use and the same key is read back after', (t) => {
  const file = path.join(tempDir(t), 'data', 'secret.key');
  const k1 = loadOrCreateKey(file);
  assert.equal(k1.length, 32);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(loadOrCreateKey(file), k1);
});

test('a key file readable by others, or of the wrong size, stops with a message saying what to do', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'secret.key');
  loadOrCreateKey(file);
  chmodSync(file, 0o644);
  assert.throws(() => loadOrCreateKey(file), /chmod 600/);
  writeFileSync(file, 'c2hvcnQ=\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  assert.throws(() => loadOrCreateKey(file), /32 base64-encoded bytes/);
});

test('encrypt/decrypt round-trips; the ciphertext does not contain the token and differs each time', (t) => {
  const key = loadOrCreateKey(path.join(tempDir(t), 'secret.key'));
  const token = 'ghp_' + 'A1b2C3'.repeat(6);
  const a = encrypt(key, token, 'demo');
  const b = encrypt(key, token, 'demo');
  assert.notEqual(a, b);
  assert.ok(!a.includes(token) && !a.includes(Buffer.from(token).toString('base64')));
  assert.equal(decrypt(key, a, 'demo'), token);
});

test('a tampered ciphertext, another key, or another app\'s row do not decrypt', (t) => {
  const dir = tempDir(t);
  const key = loadOrCreateKey(path.join(dir, 'a.key'));
  const other = loadOrCreateKey(path.join(dir, 'b.key'));
  const sealed = encrypt(key, 'secret-token', 'demo');
  const parts = sealed.split(':');
  const ct = Buffer.from(parts[3]!, 'base64');
  ct[0] = ct[0]! ^ 1;
  const tampered = [...parts.slice(0, 3), ct.toString('base64')].join(':');
  assert.throws(() => decrypt(key, tampered, 'demo'), UserError);
  assert.throws(() => decrypt(other, sealed, 'demo'), /reconnect/);
  assert.throws(() => decrypt(key, sealed, 'other-app'), UserError);
  assert.throws(() => decrypt(key, 'plaintext-token', 'demo'), /known format/);
});

test('repository credentials are sealed per app and opened back to the same value', (t) => {
  const key = loadOrCreateKey(path.join(tempDir(t), 'secret.key'));
  const token = { type: 'token' as const, token: 'glpat-xyz123456', username: 'oauth2' };
  const sshKey = { type: 'ssh-key' as const, privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n' };
  assert.deepEqual(openCredential(key, 'demo', sealCredential(key, 'demo', token)), token);
  assert.deepEqual(openCredential(key, 'demo', sealCredential(key, 'demo', sshKey)), sshKey);
  assert.throws(() => openCredential(key, 'other', sealCredential(key, 'demo', token)), UserError);
});

test('redact hides tokens, their Basic-auth form and URL passwords in log text', () => {
  const c = { type: 'token' as const, token: 'ghp_secretvalue123' };
  const basic = Buffer.from('x-access-token:ghp_secretvalue123').toString('base64');
  const text = `fatal: auth ghp_secretvalue123 failed; header Authorization: Basic ${basic}; url https://u:pw@host/x.git`;
  const out = redact(text, credentialSecrets(c));
  assert.ok(!out.includes('ghp_secretvalue123') && !out.includes(basic) && !out.includes(':pw@'), out);
  assert.match(out, /https:\/\/\*\*\*@host\/x\.git/);
  assert.equal(redact('nothing secret here', ['ab']), 'nothing secret here');
  assert.equal(redact('plain', []), 'plain');
});

test('the key file is not world-readable on disk even when the umask is permissive', (t) => {
  const old = process.umask(0);
  try {
    const file = path.join(tempDir(t), 'secret.key');
    loadOrCreateKey(file);
    assert.equal(statSync(file).mode & 0o077, 0);
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
  } finally {
    process.umask(old);
  }
});
