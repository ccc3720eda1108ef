// Uploads: the leaf is the certificate the key belongs to, chain order and key format are
// normalized, and every bad upload says which part is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { certificateBundle, covers } from '../../../src/certs/pem.js';
import { selfSignedPem } from '../../../src/certs/default-cert.js';
import { issueCert, makeCa } from '../../helpers/certs.js';

test('leaf first, then the chain, then the key as PKCS#8 — whatever order the file had', async () => {
  const ca = await makeCa('Unit CA');
  const leaf = await issueCert(ca, ['www.example.com', '*.example.com']);
  const { pem, facts } = certificateBundle(`${ca.certPem}\n${leaf.certPem}`, leaf.keyPem);
  const blocks = pem.match(/-----BEGIN [A-Z ]+-----/g);
  assert.deepEqual(blocks, ['-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----']);
  assert.ok(new X509Certificate(pem).checkPrivateKey(createPrivateKey(pem)), 'the first certificate is the leaf');
  assert.deepEqual(facts.names, ['www.example.com', '*.example.com']);
  assert.equal(facts.issuer, 'Unit CA');
  assert.match(facts.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.doesNotMatch(pem, /\r|\n\n/, 'no blank line: it goes through the Runtime API as a payload');
});

test('a key in the certificate file and a key in SEC1 form are accepted', async () => {
  const ca = await makeCa();
  const leaf = await issueCert(ca, ['a.example.com']);
  const sec1 = createPrivateKey(leaf.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
  assert.match(certificateBundle(leaf.certPem, sec1).pem, /BEGIN PRIVATE KEY/);
  assert.equal(certificateBundle(`${leaf.certPem}\n${leaf.keyPem}`, '').facts.names[0], 'a.example.com');
});

test('bad uploads are refused, naming the part that is wrong', async () => {
  const ca = await makeCa();
  const leaf = await issueCert(ca, ['a.example.com']);
  const other = await issueCert(ca, ['b.example.com']);
  const expired = await issueCert(ca, ['a.example.com'], { notBefore: new Date(Date.now() - 40 * 86_400_000), days: 30 });
  const encrypted = createPrivateKey(leaf.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
  const cases: [string, string, RegExp][] = [
    ['nothing', leaf.keyPem, /no PEM certificate/],
    [leaf.certPem, 'nothing', /no PEM private key/],
    [leaf.certPem, other.keyPem, /does not belong to any certificate/],
    [leaf.certPem, encrypted, /encrypted: decrypt it first/],
    [expired.certPem, expired.keyPem, /expired on/],
    ['-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----', leaf.keyPem, /cannot be read/],
  ];
  for (const [cert, key, why] of cases) assert.throws(() => certificateBundle(cert, key), why);
});

test('covers: exact names and one-label wildcards', () => {
  assert.ok(covers(['*.example.com'], 'www.example.com'));
  assert.ok(!covers(['*.example.com'], 'example.com'));
  assert.ok(covers(['example.com', 'www.example.com'], 'example.com'));
});

test('the default certificate is self-signed for a name no host has', async () => {
  const x = new X509Certificate(await selfSignedPem(['slipway-default.invalid'], 3650));
  assert.equal(x.subjectAltName, 'DNS:slipway-default.invalid');
  assert.equal(x.issuer, x.subject);
});
