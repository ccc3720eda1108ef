// ACME (RFC 8555) HTTP-01 through `acme-client`: the only module that imports it. One account
// per directory (its key sealed in the store), one ECDSA P-256 key and order per domain; the
// challenge is answered by whatever `ChallengeResponder` the caller gives (HAProxy's map).
import https from 'node:https';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import acme from 'acme-client';
import { TransientError } from '../errors.js';

export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

export interface AcmeSettings {
  directoryUrl: string;
  email?: string;
  /** CA bundle for the directory's own HTTPS (a private ACME server). */
  caFile?: string;
}

export function acmeDirectoryUrl(c: { acmeDirectory?: string; acmeStaging: boolean }): string {
  return c.acmeDirectory ?? (c.acmeStaging ? LETS_ENCRYPT_STAGING : LETS_ENCRYPT);
}

/** Serves `/.well-known/acme-challenge/TOKEN` while the CA validates. */
export interface ChallengeResponder {
  put(token: string, keyAuthorization: string): Promise<void>;
  remove(token: string): Promise<void>;
}

export type IssueCertificate = (domain: string, responder: ChallengeResponder) => Promise<string>;

/**
 * An issuer for one directory. `accountKey` returns the account's PEM key (made once).
 * acme-client keeps one axios instance per process, so a custom CA bundle applies to every
 * ACME request of this process (one directory per Slipway).
 */
export function acmeIssuer(settings: AcmeSettings, accountKey: () => Promise<string>): IssueCertificate {
  if (settings.caFile) acme.axios.defaults.httpsAgent = new https.Agent({ ca: [...tls.rootCertificates, readFileSync(settings.caFile, 'utf8')] });
  let client: acme.Client | undefined;
  return async (domain, responder) => {
    // Poll the CA from 1 s (its default of 5 s makes every issuance take at least that long).
    client ??= new acme.Client({ directoryUrl: settings.directoryUrl, accountKey: await accountKey(), backoffMin: 1000, backoffMax: 20_000, backoffAttempts: 12 });
    const [key, csr] = await acme.crypto.createCsr({ altNames: [domain] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
    try {
      const chain = await client.auto({
        csr,
        email: settings.email,
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        // acme-client would first fetch the token itself on port 80; the CA's own check is the
        // one that counts, and its error says what is wrong.
        skipChallengeVerification: true,
        challengeCreateFn: (_authz, challenge, keyAuthorization) => responder.put(challenge.token, keyAuthorization),
        challengeRemoveFn: (_authz, challenge) => responder.remove(challenge.token),
      });
      return `${chain.trim()}\n${key.toString().trim()}`;
    } catch (e) {
      throw new TransientError(`ACME order for ${domain} at ${settings.directoryUrl} failed: ${(e as Error).message}`);
    }
  };
}

export function newAccountKey(): Promise<string> {
  return acme.crypto.createPrivateEcdsaKey('P-256').then((k) => k.toString());
}
