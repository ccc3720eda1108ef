// Dashboard sessions: the secret in a browser's httpOnly cookie stands for the API token it signed
// in with, until it signs out, idles out or the token is deleted; and one-time sign-in codes that
// `slipway login:ui` prints (so the admin token need not be pasted into a browser). Only SHA-256
// hashes of either are stored.
import { randomBytes } from 'node:crypto';
import type { Db } from './db.js';
import { hash } from './tokens.js';

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** …and this long after sign-in in any case. */
export const SESSION_MAX_MS = 7 * 86_400_000;
/** A sign-in code is good once, within this time. */
export const CODE_TTL_MS = 10 * 60_000;

export interface SessionInfo {
  /** The name of the token the session stands for. */
  name: string;
  expiresAt: string;
}

interface Raw {
  id: number;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  name: string;
}

export class Sessions {
  constructor(private readonly db: Db) {}

  /** Starts a session for token `tokenId`; returns the cookie's secret (shown once). */
  create(tokenId: number, at = new Date()): string {
    const secret = randomBytes(32).toString('base64url');
    const expires = new Date(at.getTime() + SESSION_MAX_MS).toISOString();
    this.db
      .prepare(`INSERT INTO sessions (hash, kind, token_id, created_at, last_seen_at, expires_at) VALUES (?, 'session', ?, ?, ?, ?)`)
      .run(hash(secret), tokenId, at.toISOString(), at.toISOString(), expires);
    return secret;
  }

  /** The session's token name when it is live; refreshes its idle clock. An expired one is deleted. */
  verify(secret: string, at = new Date()): SessionInfo | null {
    if (!secret) return null;
    const r = this.db
      .prepare(`SELECT s.id, s.created_at, s.last_seen_at, s.expires_at, t.name FROM sessions s JOIN tokens t ON t.id = s.token_id WHERE s.hash = ? AND s.kind = 'session'`)
      .get(hash(secret)) as Raw | undefined;
    if (!r) return null;
    const t = at.getTime();
    if (t >= Date.parse(r.expires_at) || t - Date.parse(r.last_seen_at) >= SESSION_IDLE_MS) {
      this.db.prepare('DELETE FROM sessions WHERE id = ?').run(r.id);
      return null;
    }
    // Written at most once a minute: every API call of an open dashboard passes here.
    if (t - Date.parse(r.last_seen_at) > 60_000) this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').run(at.toISOString(), r.id);
    return { name: r.name, expiresAt: r.expires_at };
  }

  /** Signs out: the secret is worth nothing afterwards. */
  end(secret: string): boolean {
    if (!secret) return false;
    return this.db.prepare(`DELETE FROM sessions WHERE hash = ? AND kind = 'session'`).run(hash(secret)).changes > 0;
  }

  /** A one-time code that signs a browser in as token `tokenId`, for CODE_TTL_MS. */
  createCode(tokenId: number, at = new Date()): { code: string; expiresAt: string } {
    const code = 'swc_' + randomBytes(18).toString('base64url');
    const expiresAt = new Date(at.getTime() + CODE_TTL_MS).toISOString();
    this.db
      .prepare(`INSERT INTO sessions (hash, kind, token_id, created_at, last_seen_at, expires_at) VALUES (?, 'code', ?, ?, ?, ?)`)
      .run(hash(code), tokenId, at.toISOString(), at.toISOString(), expiresAt);
    return { code, expiresAt };
  }

  /** Uses up a sign-in code: the token id it stands for, or null (unknown, used or expired). */
  redeemCode(code: string, at = new Date()): number | null {
    if (!code) return null;
    return this.db.transaction(() => {
      const r = this.db.prepare(`SELECT id, token_id, expires_at FROM sessions WHERE hash = ? AND kind = 'code'`).get(hash(code)) as
        | { id: number; token_id: number; expires_at: string }
        | undefined;
      if (!r) return null;
      this.db.prepare('DELETE FROM sessions WHERE id = ?').run(r.id);
      return at.getTime() < Date.parse(r.expires_at) ? r.token_id : null;
    })();
  }

  /** Drops expired sessions and codes (start-up). */
  prune(at = new Date()): number {
    const idle = new Date(at.getTime() - SESSION_IDLE_MS).toISOString();
    return this.db
      .prepare(`DELETE FROM sessions WHERE expires_at <= ? OR (kind = 'session' AND last_seen_at <= ?)`)
      .run(at.toISOString(), idle).changes;
  }
}
