// The HTTPS half of HAProxy's configuration (pure): TLS on its own port with SNI and ALPN
// (h2, http/1.1), Mozilla's "intermediate" settings, ACME HTTP-01 challenges answered before
// any app, HTTP → HTTPS redirect and HSTS for the hosts in a map. Certificates come from a
// crt-list that the Runtime API edits live (src/proxy/haproxy-certs.ts); the default
// certificate answers names with none, so the bind is valid with an empty list.

export interface TlsListener {
  port: number;
  /** IPv4 address; default all interfaces. */
  bindAddress?: string;
  /** Self-signed certificate + key served when no other matches (HAProxy needs one at bind). */
  defaultCert: string;
  /** `FILE SNI` per line; edited at run time with `add/del ssl crt-list`. */
  crtList: string;
  /** ACME HTTP-01 token → key authorization. */
  challengeMap: string;
  /** Hosts (→ `1`) redirected from HTTP to HTTPS and sent HSTS. */
  redirectMap: string;
}

/** Mozilla's recommended "intermediate" configuration for HAProxy 2.6 / OpenSSL 3
 *  (https://ssl-config.mozilla.org, guideline 5.7): TLS 1.2 and 1.3, AEAD ciphers only. */
export const MOZILLA_INTERMEDIATE = {
  curves: 'X25519:prime256v1:secp384r1',
  ciphers: [
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384',
    'DHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  ciphersuites: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
  options: 'prefer-client-ciphers no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets',
};

/** HSTS for two years, as Mozilla recommends; no includeSubDomains (other names may not be HTTPS). */
export const HSTS = 'max-age=63072000';
export const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

/** The files the config names (checked like every path that reaches it). */
export function tlsFiles(tls: TlsListener): string[] {
  return [tls.defaultCert, tls.crtList, tls.challengeMap, tls.redirectMap];
}

/** Lines for the `global` section. */
export function tlsGlobal(): string[] {
  const m = MOZILLA_INTERMEDIATE;
  return [
    `    ssl-default-bind-curves ${m.curves}`,
    `    ssl-default-bind-ciphers ${m.ciphers}`,
    `    ssl-default-bind-ciphersuites ${m.ciphersuites}`,
    `    ssl-default-bind-options ${m.options}`,
  ];
}

/** The HTTPS bind, in the apps' frontend beside the HTTP one. */
export function tlsBind(tls: TlsListener): string {
  return `    bind ${tls.bindAddress ?? ''}:${tls.port} ssl crt ${tls.defaultCert} crt-list ${tls.crtList} alpn h2,http/1.1`;
}

/**
 * Rules that run before the host map picks an app: an ACME challenge is answered from the
 * challenge map (404 when unknown, never passed to an app), a host in the redirect map is sent
 * from HTTP to HTTPS, apps learn the scheme from X-Forwarded-Proto (a client's own value is
 * replaced), and HTTPS answers for redirected hosts carry HSTS.
 */
export function tlsFrontendRules(tls: TlsListener): string[] {
  const port = tls.port === 443 ? '' : `:${tls.port}`;
  const redirected = `{ var(txn.host),map(${tls.redirectMap}) -m found }`;
  return [
    '    http-request set-var(txn.host) req.hdr(host),lower,word(1,:)',
    `    http-request set-var(txn.acme) path,field(4,/),map(${tls.challengeMap}) if { path_beg ${CHALLENGE_PREFIX} }`,
    '    http-request return status 200 content-type text/plain lf-string "%[var(txn.acme)]" if { var(txn.acme) -m found }',
    `    http-request return status 404 content-type text/plain string "404 Not Found: no such ACME challenge.\\n" if { path_beg ${CHALLENGE_PREFIX} }`,
    `    http-request redirect location https://%[var(txn.host)]${port}%[pathq] code 301 if !{ ssl_fc } ${redirected}`,
    '    http-request set-header X-Forwarded-Proto https if { ssl_fc }',
    '    http-request set-header X-Forwarded-Proto http if !{ ssl_fc }',
    `    http-response set-header Strict-Transport-Security "${HSTS}" if { ssl_fc } ${redirected}`,
  ];
}
