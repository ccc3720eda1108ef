// Which certificate HAProxy serves for each host, and which hosts redirect to HTTPS (pure).
// An uploaded certificate of the host's own app that covers it wins (newest first, unexpired);
// else the host's ACME certificate. Only hosts served with a certificate are redirected.
import type { CertificateRow } from '../state/certificates.js';
import { covers } from './pem.js';

export interface Host {
  name: string;
  /** null: Slipway's own API domain. */
  app: string | null;
}

export interface ServingInput {
  hosts: Host[];
  /** Every certificate, newest first. */
  certificates: CertificateRow[];
  /** ACME-managed host → its current certificate id. */
  acme: Map<string, number>;
  /** Whether the app (null: the API) wants HTTP → HTTPS and HSTS. */
  redirect(app: string | null): boolean;
}

export interface ServingPlan {
  /** Host → certificate id. */
  certFor: Map<string, number>;
  redirects: string[];
}

export function planServing(input: ServingInput, now: Date): ServingPlan {
  const uploaded = input.certificates.filter((c) => c.source === 'uploaded' && new Date(c.notAfter) > now);
  const ids = new Set(input.certificates.map((c) => c.id));
  const certFor = new Map<string, number>();
  const redirects: string[] = [];
  for (const h of input.hosts) {
    const own = uploaded.find((c) => c.app === h.app && covers(c.names, h.name));
    const acme = input.acme.get(h.name);
    const id = own?.id ?? (acme !== undefined && ids.has(acme) ? acme : undefined);
    if (id === undefined) continue;
    certFor.set(h.name, id);
    if (input.redirect(h.app)) redirects.push(h.name);
  }
  return { certFor, redirects };
}
