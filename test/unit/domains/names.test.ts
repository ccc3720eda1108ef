// Domain names: one stored form (lower-case punycode, no trailing dot), clear refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultAddressOf, nameCovers, normalizeDomain } from '../../../src/domains/names.js';

test('names are lower-cased, lose a trailing dot, and IDNs become punycode', () => {
  assert.deepEqual(normalizeDomain(' WWW.Example.COM. '), { ascii: 'www.example.com', unicode: 'www.example.com' });
  assert.deepEqual(normalizeDomain('Bücher.example'), { ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' });
  assert.deepEqual(normalizeDomain('xn--bcher-kva.example'), { ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' });
  assert.equal(normalizeDomain('例え.テスト').ascii, 'xn--r8jz45g.xn--zckzah');
});

test('bad names are refused with what to type instead', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['*.example.com', /wildcards cannot be validated over ACME HTTP-01/],
    ['https://www.example.com', /without scheme, port, path/],
    ['www.example.com:8443', /without scheme, port, path/],
    ['www.example.com/path', /without scheme, port, path/],
    ['example', /full name with a dot/],
    ['10.0.0.1', /IP address/],
    ['a..example.com', /label ""/],
    ['-a.example.com', /label "-a"/],
    ['a_b.example.com', /label "a_b"/],
    [`${'a'.repeat(64)}.example.com`, /label/],
    [`${'a.'.repeat(127)}com`, /longer than 253/],
    ['www.example.123', /not a valid|all digits/],
  ];
  for (const [input, why] of cases) assert.throws(() => normalizeDomain(input), why, input);
  assert.throws(() => normalizeDomain('*.x.com'), (e: Error & { status?: number }) => e.status === 422);
});

test('a wildcard covers exactly one label', () => {
  assert.ok(nameCovers('*.example.com', 'www.example.com'));
  assert.ok(!nameCovers('*.example.com', 'example.com'));
  assert.ok(!nameCovers('*.example.com', 'a.b.example.com'));
  assert.ok(nameCovers('www.example.com', 'www.example.com'));
  assert.ok(!nameCovers('www.example.com', 'api.example.com'));
});

test("names APP.<apps domain> are apps' default addresses", () => {
  assert.equal(defaultAddressOf('shop.apps.test', 'apps.test'), 'shop');
  assert.equal(defaultAddressOf('a.shop.apps.test', 'apps.test'), null);
  assert.equal(defaultAddressOf('apps.test', 'apps.test'), null);
  assert.equal(defaultAddressOf('shopapps.test', 'apps.test'), null);
});
