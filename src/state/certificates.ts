// Certificates (their public facts; the sealed PEM is a file named by id, see src/certs/store.ts)
// and, per ACME-managed domain, its issuance state: the current certificate, failures, when next.
import { type Db, now } from './db.js';

export type CertSource = 'acme' | 'uploaded';

export interface CertificateRow {
  id: number;
  /** null: Slipway's own API domain. */
  app: string | null;
  source: CertSource;
  /** DNS names the certificate is valid for (subjectAltName), wildcards included. */
  names: string[];
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the leaf certificate, colon-separated hex. */
  fingerprint: string;
  createdAt: string;
}

export type NewCertificate = Omit<CertificateRow, 'id' | 'app' | 'createdAt'> & { appId: number | null };

export interface AcmeDomainRow {
  domain: string;
  certificateId: number | null;
  failures: number;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  /** Not before this time (back-off after a failure, or a forced renewal's now). */
  nextAttemptAt: string | null;
}

interface RawCert {
  id: number;
  app: string | null;
  source: CertSource;
  names: string;
  issuer: string;
  not_before: string;
  not_after: string;
  fingerprint: string;
  created_at: string;
}

interface RawAcme {
  domain: string;
  certificate_id: number | null;
  failures: number;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  next_attempt_at: string | null;
}

const toCert = (r: RawCert): CertificateRow => ({
  id: r.id,
  app: r.app,
  source: r.source,
  names: JSON.parse(r.names) as string[],
  issuer: r.issuer,
  notBefore: r.not_before,
  notAfter: r.not_after,
  fingerprint: r.fingerprint,
  createdAt: r.created_at,
});

const toAcme = (r: RawAcme): AcmeDomainRow => ({
  domain: r.domain,
  certificateId: r.certificate_id,
  failures: r.failures,
  lastAttemptAt: r.last_attempt_at,
  lastSuccessAt: r.last_success_at,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
});

const SELECT = 'SELECT c.*, a.name AS app FROM certificates c LEFT JOIN apps a ON a.id = c.app_id';
const ACME_COLS = {
  certificateId: 'certificate_id',
  failures: 'failures',
  lastAttemptAt: 'last_attempt_at',
  lastSuccessAt: 'last_success_at',
  lastError: 'last_error',
  nextAttemptAt: 'next_attempt_at',
} as const;

export class Certificates {
  constructor(private readonly db: Db) {}

  create(c: NewCertificate): CertificateRow {
    const r = this.db
      .prepare(
        'INSERT INTO certificates (app_id, source, names, issuer, not_before, not_after, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(c.appId, c.source, JSON.stringify(c.names), c.issuer, c.notBefore, c.notAfter, c.fingerprint, now());
    return this.get(Number(r.lastInsertRowid))!;
  }

  get(id: number): CertificateRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE c.id = ?`).get(id) as RawCert | undefined;
    return r && toCert(r);
  }

  /** Every certificate, newest first. */
  all(): CertificateRow[] {
    return (this.db.prepare(`${SELECT} ORDER BY c.id DESC`).all() as RawCert[]).map(toCert);
  }

  ofApp(appId: number): CertificateRow[] {
    return (this.db.prepare(`${SELECT} WHERE c.app_id = ? ORDER BY c.id DESC`).all(appId) as RawCert[]).map(toCert);
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM certificates WHERE id = ?').run(id);
  }

  acme(domain: string): AcmeDomainRow | undefined {
    const r = this.db.prepare('SELECT * FROM acme_domains WHERE domain = ?').get(domain) as RawAcme | undefined;
    return r && toAcme(r);
  }

  acmeAll(): AcmeDomainRow[] {
    return (this.db.prepare('SELECT * FROM acme_domains ORDER BY domain').all() as RawAcme[]).map(toAcme);
  }

  /** Starts managing the domain with ACME (a no-op when it already is). */
  acmeEnsure(domain: string): AcmeDomainRow {
    this.db.prepare('INSERT INTO acme_domains (domain) VALUES (?) ON CONFLICT (domain) DO NOTHING').run(domain);
    return this.acme(domain)!;
  }

  acmeUpdate(domain: string, fields: Partial<Omit<AcmeDomainRow, 'domain'>>): void {
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      this.db.prepare(`UPDATE acme_domains SET ${ACME_COLS[k as keyof typeof ACME_COLS]} = ? WHERE domain = ?`).run(v, domain);
    }
  }

  acmeRemove(domain: string): void {
    this.db.prepare('DELETE FROM acme_domains WHERE domain = ?').run(domain);
  }
}
