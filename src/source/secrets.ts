// Secrets at rest (AES-256-GCM under a key file in the data dir): repository credentials here,
// config values and webhook secrets through the state stage's Sealer; and the redaction every
// log line about a fetch passes through: a token is never stored or printed in clear.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Sealer } from '../state/sealer.js';

const KEY_BYTES = 32;
const VERSION = 'v1';

/**
 * Reads the 32-byte key (base64 in the file), creating it 0600 on first use. Creation uses
 * O_EXCL, so two processes starting at once end up with the same key. A key readable by group
 * or others is refused: whoever reads it can decrypt every stored token.
 */
export function loadOrCreateKey(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(KEY_BYTES).toString('base64') + '\n');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new UserError(`secret key ${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`, 500);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new UserError(`secret key ${file} is not ${KEY_BYTES} base64-encoded bytes; restore it from a backup`, 500);
  return key;
}

/**
 * `v1:IV:TAG:CIPHERTEXT` (base64 parts). `context` (e.g. the app name) is bound as associated
 * data, so a ciphertext copied onto another app's row does not decrypt there.
 */
export function encrypt(key: Buffer, plaintext: string, context = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

/** What a value that fails to open is called in the error, and what the user can do about it. */
export interface SealedWhat {
  name: string;
  fix: string;
}
const CREDENTIAL: SealedWhat = { name: 'stored credential', fix: 'reconnect the app with a new token or key' };

export function decrypt(key: Buffer, sealed: string, context = '', what: SealedWhat = CREDENTIAL): string {
  const parts = sealed.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new UserError(`${what.name} is not in a known format; ${what.fix}`, 500);
  const [, iv, tag, ct] = parts.map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer, Buffer];
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    throw new UserError(`${what.name} cannot be decrypted (the data dir secret.key changed?); ${what.fix}`, 500);
  }
}

/** Seals what the state stage keeps at rest (config values, webhook secrets) under the same key. */
export function stateSealer(key: Buffer): Sealer {
  return {
    seal: (plaintext, context) => encrypt(key, plaintext, context),
    open: (sealed, context) =>
      decrypt(key, sealed, context, { name: `stored value (${context})`, fix: 'restore DATA/secret.key from a backup, or set the value again' }),
  };
}

/** What `apps:connect --token/--ssh-key` stores, encrypted, in apps.repo_credential. */
export type RepoCredential = { type: 'token'; token: string; username?: string } | { type: 'ssh-key'; privateKey: string };

export function sealCredential(key: Buffer, app: string, credential: RepoCredential): string {
  return encrypt(key, JSON.stringify(credential), `repo-credential:${app}`);
}

export function openCredential(key: Buffer, app: string, sealed: string): RepoCredential {
  const c = JSON.parse(decrypt(key, sealed, `repo-credential:${app}`)) as RepoCredential;
  if (c.type === 'token' && typeof c.token === 'string') return c;
  if (c.type === 'ssh-key' && typeof c.privateKey === 'string') return c;
  throw new UserError('stored credential has an unknown shape; reconnect the app', 500);
}

/** The strings a credential could appear as in git's output or errors. */
export function credentialSecrets(c: RepoCredential | undefined): string[] {
  if (!c) return [];
  if (c.type === 'ssh-key') return [c.privateKey];
  const user = c.username ?? 'x-access-token';
  return [c.token, encodeURIComponent(c.token), Buffer.from(`${user}:${c.token}`).toString('base64')];
}

/** Replaces each secret (and any `scheme://user:password@` userinfo) with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]*:[^/@\s]*@/gi, '$1***@');
  // Longest first, so a secret containing another is replaced whole.
  for (const s of [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}
