// When an ACME-managed domain needs the CA (pure): a first certificate as soon as it can, a
// renewal at two thirds of the certificate's lifetime (day 60 of Let's Encrypt's 90), and after
// a failure a growing pause (5 min, 20 min, 80 min, … at most a day) so a domain whose DNS does
// not point here yet never hammers the CA's rate limits.
import type { AcmeDomainRow, CertificateRow } from '../state/certificates.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function renewAt(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
}

export function retryDelayMs(failures: number): number {
  return Math.min(DAY, 5 * MINUTE * 4 ** Math.max(0, failures - 1));
}

/**
 * `issue` (no certificate yet), `renew` (due by age, or a wanted attempt whose time has come —
 * a forced renewal or a retry), or null. `nextAttemptAt` in the future always waits.
 */
export function acmeDue(row: AcmeDomainRow, cert: CertificateRow | undefined, now: Date): 'issue' | 'renew' | null {
  if (row.nextAttemptAt && new Date(row.nextAttemptAt) > now) return null;
  if (!cert) return 'issue';
  if (row.nextAttemptAt) return 'renew';
  return renewAt(new Date(cert.notBefore), new Date(cert.notAfter)) <= now ? 'renew' : null;
}
