// Runtime API commands for certificates and the TLS maps, as data (pure): each names the
// answer HAProxy gives when it worked, since the socket itself always "succeeds". Checked on
// HAProxy 2.6: `new ssl cert F`, `set ssl cert F <<` + PEM, `commit ssl cert F`, then
// `add ssl crt-list L <<` + `F SNI` serve a new name with no reload; `set`+`commit` alone
// replaces a certificate in place — handshakes already made keep their connection.
import { X509Certificate } from 'node:crypto';
import { checkHost, checkPath } from './haproxy-config.js';

export interface TlsCommand {
  line: string;
  /** Lines sent after `line` (which ends in `<<`), closed by an empty line. */
  payload?: string;
  /** HAProxy's answer when the command did what it says. */
  ok: RegExp;
}

export interface CrtListEntry {
  file: string;
  sni: string;
}

/** A PEM goes through the socket as a payload: only PEM armour and base64 lines, so nothing in it
 *  can end the payload early or start another command. */
export function checkPem(pem: string): string {
  const lines = pem.replace(/\r/g, '').split('\n').filter((l) => l.trim() !== '');
  for (const l of lines)
    if (!/^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(l) && !/^[A-Za-z0-9+/=]+$/.test(l)) throw new Error('a certificate or key is not plain PEM (armour and base64 lines only)');
  if (!lines.some((l) => l.startsWith('-----BEGIN CERTIFICATE'))) throw new Error('the PEM has no certificate');
  return lines.join('\n');
}

export const newCertCommand = (file: string): TlsCommand => ({ line: `new ssl cert ${checkPath(file)}`, ok: /New empty certificate store|already exists/ });
export const setCertCommand = (file: string, pem: string): TlsCommand => ({
  line: `set ssl cert ${checkPath(file)} <<`,
  payload: checkPem(pem),
  ok: /^Transaction (created|updated) for certificate/,
});
export const commitCertCommand = (file: string): TlsCommand => ({ line: `commit ssl cert ${checkPath(file)}`, ok: /Success!/ });
export const abortCertCommand = (file: string): TlsCommand => ({ line: `abort ssl cert ${checkPath(file)}`, ok: /./s });
export const addCrtListCommand = (list: string, e: CrtListEntry): TlsCommand => ({
  line: `add ssl crt-list ${checkPath(list)} <<`,
  payload: crtListLine(e),
  ok: /Success!/,
});
export const delCrtListCommand = (list: string, file: string): TlsCommand => ({
  line: `del ssl crt-list ${checkPath(list)} ${checkPath(file)}`,
  ok: /deleted in crtlist|can't be found/,
});
export const delCertCommand = (file: string): TlsCommand => ({ line: `del ssl cert ${checkPath(file)}`, ok: /deleted!|doesn't exist/ });
export const showCrtListCommand = (list: string): string => `show ssl crt-list ${checkPath(list)}`;
export const showCertCommand = (file: string): string => `show ssl cert ${checkPath(file)}`;

/** A name HAProxy has not seen gets a store, its PEM, and a crt-list line; a known one is
 *  replaced in one transaction (set + commit), which never leaves the name without a certificate. */
export function installCommands(list: string, e: CrtListEntry, pem: string, known: boolean): TlsCommand[] {
  const replace = [setCertCommand(e.file, pem), commitCertCommand(e.file)];
  return known ? replace : [newCertCommand(e.file), ...replace, addCrtListCommand(list, e)];
}

/** Out of the crt-list first: HAProxy refuses to delete a certificate still in use. */
export function removeCommands(list: string, file: string): TlsCommand[] {
  return [delCrtListCommand(list, file), delCertCommand(file)];
}

function crtListLine(e: CrtListEntry): string {
  return `${checkPath(e.file)} ${checkHost(e.sni)}`;
}

/** The crt-list file HAProxy reads at (re)load: one `FILE SNI` line per name. */
export function renderCrtList(entries: CrtListEntry[]): string {
  return [...entries].sort((a, b) => a.sni.localeCompare(b.sni)).map((e) => crtListLine(e) + '\n').join('');
}

/** Parses `show ssl crt-list L` (and the file): `FILE [options] SNI…` per line. HAProxy 2.6
 *  prints a NUL inside `[alpn …]`; options are skipped whole. */
export function parseCrtList(text: string): CrtListEntry[] {
  const out: CrtListEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\0/g, '').replace(/\[[^\]]*\]/g, ' ').trim();
    if (!line || line.startsWith('#')) continue;
    const [file, sni] = line.split(/\s+/);
    if (file && sni) out.push({ file: file.replace(/:\d+$/, ''), sni });
  }
  return out;
}

/** `SHA1 FingerPrint:` of `show ssl cert F`, or null when HAProxy has no such certificate. */
export function parseCertFingerprint(text: string): string | null {
  return /^SHA1 FingerPrint: ([0-9A-F]+)$/m.exec(text)?.[1] ?? null;
}

/** The leaf's SHA-1 as HAProxy prints it: upper-case hex, no colons. */
export function pemFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint.replace(/:/g, '');
}

export interface CertPlan {
  add: string[];
  replace: string[];
  remove: string[];
}

/** What to do so HAProxy serves `desired` (name → SHA-1), given what it serves now. */
export function planCerts(live: Map<string, string>, desired: Map<string, string>): CertPlan {
  const plan: CertPlan = { add: [], replace: [], remove: [] };
  for (const [name, fp] of desired) {
    const cur = live.get(name);
    if (cur === undefined) plan.add.push(name);
    else if (cur !== fp) plan.replace.push(name);
  }
  for (const name of live.keys()) if (!desired.has(name)) plan.remove.push(name);
  return plan;
}

/** Words a TLS map holds: hosts, ACME tokens and key authorizations (base64url with a dot). */
export function checkMapWord(word: string): string {
  if (!/^[A-Za-z0-9._~-]{1,512}$/.test(word)) throw new Error(`invalid map entry ${JSON.stringify(word)}`);
  return word;
}
export const setMapEntryCommand = (file: string, key: string, value: string): string => `set map ${checkPath(file)} ${checkMapWord(key)} ${checkMapWord(value)}`;
export const addMapEntryCommand = (file: string, key: string, value: string): string => `add map ${checkPath(file)} ${checkMapWord(key)} ${checkMapWord(value)}`;
export const delMapEntryCommand = (file: string, key: string): string => `del map ${checkPath(file)} ${checkMapWord(key)}`;

export function renderMapEntries(entries: Map<string, string>): string {
  return [...entries.keys()].sort().map((k) => `${checkMapWord(k)} ${checkMapWord(entries.get(k)!)}\n`).join('');
}
