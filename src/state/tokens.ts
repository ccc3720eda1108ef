// API tokens: random secrets shown once, stored only as SHA-256 hashes.
import { createHash, randomBytes } from 'node:crypto';
import { type Db, now } from './db.js';

export const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export class Tokens {
  constructor(private readonly db: Db) {}

  /** Creates a token and returns its secret; only the hash is stored. */
  create(name: string): string {
    const token = 'sw_' + randomBytes(24).toString('base64url');
    this.db.prepare('INSERT INTO tokens (name, hash, created_at) VALUES (?, ?, ?)').run(name, hash(token), now());
    return token;
  }

  /** The token's name when it is valid. Hash lookup, so no timing leak on the secret. */
  verify(token: string): string | null {
    return this.find(token)?.name ?? null;
  }

  /** The token's row (id and name) when it is valid; marks it used. */
  find(token: string): { id: number; name: string } | null {
    if (!token) return null;
    const row = this.db.prepare('SELECT id, name FROM tokens WHERE hash = ?').get(hash(token)) as
      | { id: number; name: string }
      | undefined;
    if (!row) return null;
    this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(now(), row.id);
    return row;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM tokens').get() as { n: number }).n;
  }
}
