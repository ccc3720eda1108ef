// Certificates for tests: a throw-away CA and leaves it signs (ECDSA P-256), as PEM strings.
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const crypto = webcrypto as unknown as Crypto;

export interface TestCa {
  certPem: string;
  name: string;
  keys: CryptoKeyPair;
}

export interface IssuedCert {
  certPem: string;
  keyPem: string;
  /** Leaf, then the CA, then the key: what HAProxy loads. */
  pem: string;
}

const serial = () => Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
const keyPem = async (k: CryptoKey) => x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', k), 'PRIVATE KEY');

export async function makeCa(name = 'Slipway Test CA'): Promise<TestCa> {
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 30 * 86_400_000),
      signingAlgorithm: EC,
      keys,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), name: `CN=${name}`, keys };
}

/** A leaf for DNS names and/or IP addresses, valid `days` from `notBefore` (default: an hour ago). */
export async function issueCert(ca: TestCa, names: string[], opts: { days?: number; notBefore?: Date; ips?: string[] } = {}): Promise<IssuedCert> {
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3600_000);
  const altNames = [...names.map((value) => ({ type: 'dns' as const, value })), ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${names[0] ?? opts.ips?.[0] ?? 'test'}`,
      issuer: ca.name,
      notBefore,
      notAfter: new Date(notBefore.getTime() + (opts.days ?? 30) * 86_400_000),
      signingAlgorithm: EC,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      extensions: [new x509.BasicConstraintsExtension(false), new x509.SubjectAlternativeNameExtension(altNames), new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'])],
    },
    crypto,
  );
  const certPem = cert.toString('pem');
  const key = await keyPem(keys.privateKey);
  return { certPem, keyPem: key, pem: `${certPem}\n${ca.certPem}\n${key}` };
}
