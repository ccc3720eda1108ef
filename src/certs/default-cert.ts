// The certificate HAProxy answers with when a client names a host Slipway has no certificate
// for: self-signed, trusted by nobody, so the client fails cleanly instead of reaching the wrong
// site. HAProxy needs one at bind time (the crt-list may be empty). Made once per runtime dir.
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** PEM chain + key for a self-signed certificate (ECDSA P-256) for `names`. */
export async function selfSignedPem(names: string[], days: number, now = new Date()): Promise<string> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
      name: `CN=${names[0]}`,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + days * 86_400_000),
      signingAlgorithm: EC,
      keys,
      extensions: [new x509.BasicConstraintsExtension(false), new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value })))],
    },
    crypto,
  );
  const key = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return `${cert.toString('pem')}\n${key}`;
}

/** The default: a name no real host has (RFC 2606 `.invalid`). */
export function defaultCertificate(): Promise<string> {
  return selfSignedPem(['slipway-default.invalid'], 3650);
}
