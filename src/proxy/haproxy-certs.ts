// The certificates HAProxy serves, changed live through the Runtime API (no reload, so no
// request fails): one file per served name, `DIR/names/NAME.pem`, selected by SNI through the
// crt-list. Files and crt-list live in a tmpfs directory — HAProxy reads them in clear at a
// reload, and keys must not sit on disk unencrypted (the sealed originals: src/certs/store.ts).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { checkPath } from './haproxy-config.js';
import { sendCommand, sendPayload } from './runtime-api.js';
import { writeAtomic } from './saved-state.js';
import {
  abortCertCommand,
  installCommands,
  parseCertFingerprint,
  parseCrtList,
  pemFingerprint,
  planCerts,
  removeCommands,
  renderCrtList,
  showCertCommand,
  showCrtListCommand,
  type CertPlan,
  type TlsCommand,
} from './tls-commands.js';
import type { TlsListener } from './tls-config.js';
import { LiveMap } from './live-map.js';
import { haproxyPaths } from './haproxy-process.js';

export interface CertPaths {
  dir: string;
  defaultCert: string;
  crtList: string;
  namesDir: string;
}

export function certPaths(runtimeDir: string): CertPaths {
  const dir = checkPath(path.resolve(runtimeDir));
  return { dir, defaultCert: path.join(dir, 'default.pem'), crtList: path.join(dir, 'crt-list'), namesDir: path.join(dir, 'names') };
}

/** The HTTPS listener over these files, with its maps in HAProxy's own directory. */
export function tlsListener(port: number, certs: CertPaths, haproxyDir: string, bindAddress?: string): TlsListener {
  return {
    port,
    bindAddress,
    defaultCert: certs.defaultCert,
    crtList: certs.crtList,
    challengeMap: path.join(haproxyDir, 'acme-challenges.map'),
    redirectMap: path.join(haproxyDir, 'https-redirects.map'),
  };
}

/** The TLS parts of the proxy adapter for HAProxy's directory and a runtime dir: the listener
 *  to render, the certificates and the two maps (changed `exclusive`ly of the Proxy's own). */
export function proxyTls(haproxyDir: string, port: number, runtimeDir: string, exclusive: <T>(fn: () => Promise<T>) => Promise<T>, logger: Logger) {
  const paths = certPaths(runtimeDir);
  const listener = tlsListener(port, paths, haproxyPaths(haproxyDir).dir);
  const socket = haproxyPaths(haproxyDir).adminSocket;
  return {
    listener,
    certs: new ProxyCerts({ adminSocket: socket, paths, exclusive, logger }),
    challenges: new LiveMap(socket, listener.challengeMap, exclusive),
    redirects: new LiveMap(socket, listener.redirectMap, exclusive),
  };
}

export interface ProxyCertsOptions {
  adminSocket: string;
  paths: CertPaths;
  /** Runs a change between the proxy's others: a transaction must not straddle a reload. */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

export class ProxyCerts {
  /** Name → SHA-1 of the certificate HAProxy serves for it; null until read from HAProxy. */
  private installed: Map<string, string> | null = null;

  constructor(private readonly opts: ProxyCertsOptions) {}

  private file(name: string): string {
    return path.join(this.opts.paths.namesDir, `${name}.pem`);
  }

  /**
   * Before HAProxy starts or is adopted: the default certificate (made once by `makeDefault`),
   * one file per name and the crt-list, all 0600 in a 0700 directory; stray files go.
   */
  async prepare(makeDefault: () => Promise<string>, desired: Map<string, string>): Promise<void> {
    const p = this.opts.paths;
    await mkdir(p.namesDir, { recursive: true, mode: 0o700 });
    const existing = await readFile(p.defaultCert, 'utf8').catch(() => null);
    if (existing === null) await writeAtomic(p.defaultCert, await makeDefault());
    for (const [name, pem] of desired) await writeFile(this.file(name), pem + '\n', { mode: 0o600 });
    for (const f of await readdir(p.namesDir)) if (!desired.has(f.replace(/\.pem$/, ''))) await rm(path.join(p.namesDir, f), { force: true });
    await writeAtomic(p.crtList, renderCrtList([...desired.keys()].map((sni) => ({ file: this.file(sni), sni }))));
  }

  /** Brings HAProxy to serve `desired` (name → PEM: chain then key) for exactly those names.
   *  A name that fails keeps what it had; the others still change; the errors are thrown together. */
  apply(desired: Map<string, string>): Promise<CertPlan> {
    return this.opts.exclusive(async () => {
      const live = this.installed ?? (await this.readLive());
      const plan = planCerts(live, new Map([...desired].map(([n, pem]) => [n, pemFingerprint(pem)])));
      const errors: string[] = [];
      for (const name of [...plan.add, ...plan.replace]) {
        const pem = desired.get(name)!;
        try {
          await writeFile(this.file(name), pem + '\n', { mode: 0o600 });
          await this.run(installCommands(this.opts.paths.crtList, { file: this.file(name), sni: name }, pem, live.has(name)));
          live.set(name, pemFingerprint(pem));
        } catch (e) {
          errors.push(`${name}: ${(e as Error).message}`);
          await sendCommand(this.opts.adminSocket, abortCertCommand(this.file(name)).line).catch(() => undefined);
        }
      }
      for (const name of plan.remove) {
        try {
          await this.run(removeCommands(this.opts.paths.crtList, this.file(name)));
          live.delete(name);
          await rm(this.file(name), { force: true });
        } catch (e) {
          errors.push(`${name}: ${(e as Error).message}`);
        }
      }
      this.installed = live;
      await writeAtomic(this.opts.paths.crtList, renderCrtList([...live.keys()].map((sni) => ({ file: this.file(sni), sni }))));
      if (plan.add.length + plan.replace.length + plan.remove.length) this.opts.logger.info('HAProxy certificates changed', { ...plan });
      if (errors.length) {
        this.installed = null; // believe HAProxy next time, not this map
        throw new Error(`HAProxy did not take some certificates: ${errors.join('; ')}`);
      }
      return plan;
    });
  }

  /** Names HAProxy serves now and each certificate's SHA-1, from its crt-list and cert store. */
  private async readLive(): Promise<Map<string, string>> {
    const live = new Map<string, string>();
    for (const e of parseCrtList(await sendCommand(this.opts.adminSocket, showCrtListCommand(this.opts.paths.crtList)))) {
      const fp = parseCertFingerprint(await sendCommand(this.opts.adminSocket, showCertCommand(e.file)));
      if (fp && e.file === this.file(e.sni)) live.set(e.sni, fp);
    }
    return live;
  }

  private async run(commands: TlsCommand[]): Promise<void> {
    for (const c of commands) {
      const answer = c.payload === undefined ? await sendCommand(this.opts.adminSocket, c.line) : await sendPayload(this.opts.adminSocket, c.line, c.payload);
      if (!c.ok.test(answer)) throw new Error(`HAProxy refused "${c.line}": ${answer.trim() || 'no answer'}`);
    }
  }
}
