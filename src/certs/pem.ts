// Certificates and keys as users and CAs hand them over → the one bundle HAProxy loads (leaf,
// then its chain, then the key as PKCS#8) and the facts Slipway shows (pure). Bad input is a
// UserError that says which part is wrong.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { UserError } from '../errors.js';
import { nameCovers } from '../domains/names.js';

export interface CertFacts {
  /** DNS names (subjectAltName; the CN when there is none), wildcards included. */
  names: string[];
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the leaf, colon-separated hex. */
  fingerprint: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

function blocks(text: string): { type: string; pem: string }[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ type: m[1]!, pem: m[0].replace(/\r/g, '') }));
}

export function certFacts(x: X509Certificate): CertFacts {
  const sans = [...(x.subjectAltName ?? '').matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]!.toLowerCase());
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  const issuer = /(?:^|\n)CN=([^\n]+)/.exec(x.issuer)?.[1] ?? /(?:^|\n)O=([^\n]+)/.exec(x.issuer)?.[1] ?? x.issuer.replace(/\n/g, ', ');
  return {
    names: sans.length ? sans : cn ? [cn.toLowerCase()] : [],
    issuer,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    fingerprint: x.fingerprint256,
  };
}

/** True when one of the certificate's names is `host` or a wildcard over it. */
export function covers(names: readonly string[], host: string): boolean {
  return names.some((n) => nameCovers(n, host));
}

/**
 * Checks and orders what `certs:add` uploads: the certificate file (leaf and any chain, in any
 * order; it may hold the key too) and the key file (unencrypted PEM). The leaf is the
 * certificate the key belongs to.
 */
export function certificateBundle(certText: string, keyText: string, now = new Date()): { pem: string; facts: CertFacts } {
  const certs = blocks(certText).filter((b) => b.type === 'CERTIFICATE');
  if (!certs.length) throw new UserError('the certificate file has no PEM certificate (-----BEGIN CERTIFICATE-----)', 422);
  const keyBlock = [...blocks(keyText), ...blocks(certText)].find((b) => / ?PRIVATE KEY$/.test(b.type));
  if (!keyBlock) throw new UserError('the key file has no PEM private key (-----BEGIN PRIVATE KEY-----)', 422);
  if (keyBlock.type === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(keyBlock.pem))
    throw new UserError('the private key is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem)', 422);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyBlock.pem);
  } catch (e) {
    throw new UserError(`the private key cannot be read: ${(e as Error).message}`, 422);
  }
  let parsed: X509Certificate[];
  try {
    parsed = certs.map((c) => new X509Certificate(c.pem));
  } catch (e) {
    throw new UserError(`a certificate in the file cannot be read: ${(e as Error).message}`, 422);
  }
  const leafAt = parsed.findIndex((x) => x.checkPrivateKey(key));
  if (leafAt < 0) throw new UserError('the private key does not belong to any certificate in the file', 422);
  const leaf = parsed[leafAt]!;
  const facts = certFacts(leaf);
  if (facts.notAfter <= now) throw new UserError(`the certificate expired on ${facts.notAfter.toISOString()}`, 422);
  if (!facts.names.length) throw new UserError('the certificate names no DNS name', 422);
  const chain = certs.filter((_, i) => i !== leafAt).map((c) => c.pem);
  const pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { pem: [certs[leafAt]!.pem, ...chain, pkcs8.trim()].join('\n'), facts };
}

/** The facts of a bundle Slipway made itself (an ACME certificate). */
export function bundleFacts(pem: string): CertFacts {
  return certFacts(new X509Certificate(pem));
}
