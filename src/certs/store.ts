// Private keys at rest: every certificate bundle and ACME account key is a file in DATA/certs,
// 0600, sealed with Slipway's key (AES-256-GCM, src/source/secrets.ts) and bound to its name,
// so a sealed file copied onto another name does not open.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { decrypt, encrypt } from '../source/secrets.js';

export class CertStore {
  constructor(
    private readonly dir: string,
    private readonly key: Buffer,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(id: number): string {
    return path.join(this.dir, `${id}.pem.sealed`);
  }

  write(id: number, pem: string): void {
    this.seal(this.file(id), pem, `certificate:${id}`);
  }

  read(id: number): string {
    return this.open(this.file(id), `certificate:${id}`);
  }

  remove(id: number): void {
    rmSync(this.file(id), { force: true });
  }

  /** Removes sealed certificates no row names (left by a crash between file and row). */
  gc(keep: Set<number>): void {
    for (const f of readdirSync(this.dir)) {
      const m = /^(\d+)\.pem\.sealed$/.exec(f);
      if (m && !keep.has(Number(m[1]))) rmSync(path.join(this.dir, f), { force: true });
    }
  }

  /** The ACME account key for a directory (one account per CA), made by `create` the first time. */
  async accountKey(directoryUrl: string, create: () => Promise<string>): Promise<string> {
    const id = createHash('sha256').update(directoryUrl).digest('hex').slice(0, 16);
    const file = path.join(this.dir, `acme-account-${id}.key.sealed`);
    const context = `acme-account:${directoryUrl}`;
    try {
      return this.open(file, context);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const pem = await create();
    this.seal(file, pem, context);
    return pem;
  }

  private seal(file: string, text: string, context: string): void {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, encrypt(this.key, text, context) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  }

  private open(file: string, context: string): string {
    const sealed = readFileSync(file, 'utf8').trim();
    try {
      return decrypt(this.key, sealed, context);
    } catch {
      throw new UserError(`${file} cannot be decrypted with this data dir's secret.key; upload the certificate again or renew it`, 500);
    }
  }
}
