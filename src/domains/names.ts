// Domain names as users type them → the one form Slipway stores, routes and certifies: lower-case
// ASCII (IDN → punycode, UTS #46), no trailing dot, no wildcard, no port or path (pure).
import { domainToASCII, domainToUnicode } from 'node:url';
import net from 'node:net';
import { UserError } from '../errors.js';

export interface DomainName {
  /** What HAProxy, the state and ACME see: `xn--bcher-kva.example`. */
  ascii: string;
  /** What a person reads: `bücher.example`. */
  unicode: string;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Throws a UserError (422) saying what is wrong with the name and what to type instead. */
export function normalizeDomain(input: string): DomainName {
  const raw = input.trim();
  const bad = (why: string) => new UserError(`invalid domain ${JSON.stringify(input)}: ${why}`, 422);
  if (!raw) throw bad('it is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || /[/:?#@\s]/.test(raw)) throw bad('give the host name alone, without scheme, port, path or spaces (e.g. www.example.com)');
  if (raw.includes('*'))
    throw bad('wildcards cannot be validated over ACME HTTP-01: add each name (a wildcard certificate can still be uploaded with certs:add)');
  const name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (net.isIP(name)) throw bad('an IP address is not a domain name');
  const ascii = domainToASCII(name);
  if (!ascii) throw bad('it is not a valid (internationalized) domain name');
  if (ascii.length > 253) throw bad('longer than 253 characters');
  const labels = ascii.split('.');
  if (labels.length < 2) throw bad('use a full name with a dot (e.g. app.example.com)');
  for (const l of labels) if (!LABEL.test(l)) throw bad(`the label ${JSON.stringify(l)} must be 1–63 of a-z, 0-9 and "-", not starting or ending with "-"`);
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) throw bad('the last label cannot be all digits');
  return { ascii, unicode: domainToUnicode(ascii) || ascii };
}

/** `wildcard` (`*.example.com`) covers exactly one label: `a.example.com`, not `example.com` or `a.b.example.com`. */
export function nameCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.startsWith('*.')) return p === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === p.slice(2);
}

/** The app a name like `APP.<apps domain>` is the default address of (a name under the apps
 *  domain with one more label), else null. */
export function defaultAddressOf(host: string, appsDomain: string): string | null {
  const suffix = `.${appsDomain}`;
  if (!host.endsWith(suffix)) return null;
  const label = host.slice(0, -suffix.length);
  return label && !label.includes('.') ? label : null;
}
