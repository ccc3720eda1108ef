// The certificates of every host Slipway serves: which one HAProxy serves for each name (pushed
// live through src/proxy/haproxy-certs.ts), uploads, what `slipway certs` shows, and what
// happens to certificates when domains or apps come and go. ACME issuance: ./acme-jobs.ts.
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { State } from '../state/index.js';
import type { CertificateRow } from '../state/certificates.js';
import { defaultCertificate } from './default-cert.js';
import { certificateBundle, covers } from './pem.js';
import { renewAt } from './renewal.js';
import { planServing, type Host } from './serving.js';
import type { CertStore } from './store.js';

/** The proxy side (src/proxy/haproxy-certs.ts). */
export interface CertsOnProxy {
  prepare(makeDefault: () => Promise<string>, desired: Map<string, string>): Promise<void>;
  apply(desired: Map<string, string>): Promise<unknown>;
}

/** A HAProxy map (src/proxy/live-map.ts). */
export interface MapOnProxy {
  prepare(entries: Map<string, string>): Promise<void>;
  readLive(): Promise<void>;
  replace(entries: Map<string, string>): Promise<void>;
}

export interface CertSettings {
  /** HTTPS on (SLIPWAY_HTTPS_PORT ≠ 0): else certificates are kept but nothing is served. */
  enabled: boolean;
  appsDomain: string;
  /** Server-wide SLIPWAY_HTTPS_REDIRECT; an app's config var of the same name wins. */
  httpsRedirect: boolean;
}

export interface CertServiceDeps {
  state: State;
  store: CertStore;
  proxy: CertsOnProxy;
  redirects: MapOnProxy;
  settings: CertSettings;
  /** The config of the app's serving release (null before its first deploy). */
  releaseConfig(app: string): Record<string, string> | null;
  logger: Logger;
  now?: () => Date;
}

/** One of the app's hosts as `slipway certs` shows it. */
export interface HostCertView {
  domain: string;
  source: 'acme' | 'uploaded' | null;
  certificateId: number | null;
  issuer: string | null;
  names: string[];
  notAfter: string | null;
  /** ACME state, when the name is managed by ACME. */
  acme: { renewAt: string | null; lastAttemptAt: string | null; lastSuccessAt: string | null; lastError: string | null; nextAttemptAt: string | null } | null;
  redirect: boolean;
}

export type CertificateView = Omit<CertificateRow, 'app'> & { hosts: string[] };

export class CertService {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: CertServiceDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Every host that can have a certificate: apps' default addresses and custom domains, the API domain. */
  hosts(): Host[] {
    const { state, settings } = this.deps;
    const defaults = state.apps.list().map((a) => ({ name: `${a.name}.${settings.appsDomain}`, app: a.name }));
    return [...defaults, ...state.domains.all()];
  }

  hostsOf(app: string): string[] {
    return this.hosts().filter((h) => h.app === app).map((h) => h.name);
  }

  redirectFor(app: string | null): boolean {
    const v = app === null ? undefined : this.deps.releaseConfig(app)?.SLIPWAY_HTTPS_REDIRECT;
    if (v === undefined || v === '') return this.deps.settings.httpsRedirect;
    return ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
  }

  private plan() {
    const { state } = this.deps;
    const acme = new Map<string, number>();
    for (const r of state.certificates.acmeAll()) if (r.certificateId !== null) acme.set(r.domain, r.certificateId);
    return planServing({ hosts: this.hosts(), certificates: state.certificates.all(), acme, redirect: (a) => this.redirectFor(a) }, this.now());
  }

  private desired() {
    const plan = this.plan();
    const pems = new Map([...plan.certFor].map(([host, id]) => [host, this.deps.store.read(id)]));
    return { pems, redirects: new Map(plan.redirects.map((h) => [h, '1'])) };
  }

  /** Before HAProxy starts (or is adopted): every file it reads, from the state. */
  async prepare(): Promise<void> {
    if (!this.deps.settings.enabled) return;
    this.removeOrphans();
    this.deps.store.gc(new Set(this.deps.state.certificates.all().map((c) => c.id)));
    const { pems, redirects } = this.desired();
    await this.deps.proxy.prepare(defaultCertificate, pems);
    await this.deps.redirects.prepare(redirects);
  }

  /** Once HAProxy runs: bring its live state in line (an adopted one may be behind). A
   *  certificate HAProxy refuses is logged, never a reason not to start: the others serve. */
  async started(): Promise<void> {
    if (!this.deps.settings.enabled) return;
    await this.deps.redirects.readLive();
    await this.sync().catch((e: Error) => this.deps.logger.error('some certificates are not served', { error: e.message }));
  }

  /** Pushes what should be served to HAProxy, one sync at a time. Idempotent. */
  sync(): Promise<void> {
    if (!this.deps.settings.enabled) return Promise.resolve();
    const run = async () => {
      const { pems, redirects } = this.desired();
      await this.deps.proxy.apply(pems);
      await this.deps.redirects.replace(redirects);
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  view(app: string): { hosts: HostCertView[]; certificates: CertificateView[] } {
    const { state } = this.deps;
    const a = state.apps.get(app);
    const plan = this.plan();
    const hosts = this.hostsOf(app);
    const hostViews = hosts.map((domain): HostCertView => {
      const id = plan.certFor.get(domain);
      const cert = id === undefined ? undefined : state.certificates.get(id);
      const acme = state.certificates.acme(domain);
      const acmeCert = acme?.certificateId ? state.certificates.get(acme.certificateId) : undefined;
      return {
        domain,
        source: cert?.source ?? null,
        certificateId: cert?.id ?? null,
        issuer: cert?.issuer ?? null,
        names: cert?.names ?? [],
        notAfter: cert?.notAfter ?? null,
        acme: acme
          ? {
              renewAt: acmeCert ? renewAt(new Date(acmeCert.notBefore), new Date(acmeCert.notAfter)).toISOString() : null,
              lastAttemptAt: acme.lastAttemptAt,
              lastSuccessAt: acme.lastSuccessAt,
              lastError: acme.lastError,
              nextAttemptAt: acme.nextAttemptAt,
            }
          : null,
        redirect: plan.redirects.includes(domain),
      };
    });
    const certificates = state.certificates
      .ofApp(a.id)
      .filter((c) => c.source === 'uploaded')
      .map(({ app: _app, ...c }) => ({ ...c, hosts: hosts.filter((h) => covers(c.names, h)) }));
    return { hosts: hostViews, certificates };
  }

  /** `certs:add`: a certificate (and chain) with its key, for the app's names it covers. */
  async upload(app: string, certText: string, keyText: string): Promise<CertificateView> {
    const { state, store } = this.deps;
    const a = state.apps.get(app);
    const { pem, facts } = certificateBundle(certText, keyText, this.now());
    const hosts = this.hostsOf(app).filter((h) => covers(facts.names, h));
    if (!hosts.length)
      throw new UserError(
        `the certificate is for ${facts.names.join(', ')}, which covers none of ${app}'s domains (${this.hostsOf(app).join(', ')}): add the domain first (slipway domains:add ${app} NAME)`,
        422,
      );
    const row = state.certificates.create({
      appId: a.id,
      source: 'uploaded',
      names: facts.names,
      issuer: facts.issuer,
      notBefore: facts.notBefore.toISOString(),
      notAfter: facts.notAfter.toISOString(),
      fingerprint: facts.fingerprint,
    });
    try {
      store.write(row.id, pem);
      await this.sync();
    } catch (e) {
      state.certificates.remove(row.id);
      store.remove(row.id);
      await this.sync().catch(() => undefined);
      throw e;
    }
    this.deps.logger.info('certificate uploaded', { app, id: row.id, names: facts.names, notAfter: row.notAfter });
    const { app: _app, ...c } = row;
    return { ...c, hosts };
  }

  async removeUploaded(app: string, id: number): Promise<void> {
    const { state, store } = this.deps;
    const cert = state.certificates.get(id);
    if (!cert || cert.app !== app || cert.source !== 'uploaded') throw new UserError(`${app} has no uploaded certificate ${id} (see: slipway certs ${app})`, 404);
    state.certificates.remove(id);
    await this.sync();
    store.remove(id);
  }

  /** A domain left its app: its ACME certificate goes, and uploaded ones that now cover none of the app's names. */
  async domainRemoved(app: string): Promise<void> {
    this.removeOrphans(app);
    await this.sync();
  }

  /** Before an app is destroyed: its certificates (rows and sealed files) and domains go. */
  async appRemoved(app: string): Promise<void> {
    const { state, store } = this.deps;
    const a = state.apps.get(app);
    for (const c of state.certificates.ofApp(a.id)) {
      state.certificates.remove(c.id);
      store.remove(c.id);
    }
    for (const d of state.domains.ofApp(a.id)) state.domains.remove(d);
    await this.sync();
  }

  /** ACME certificates no managed domain points at; uploaded ones of `app` covering none of its names. */
  private removeOrphans(app?: string): void {
    const { state, store } = this.deps;
    const used = new Set(state.certificates.acmeAll().map((r) => r.certificateId));
    const hosts = app === undefined ? [] : this.hostsOf(app);
    for (const c of state.certificates.all()) {
      const orphan = c.source === 'acme' ? !used.has(c.id) : c.app === app && app !== undefined && !hosts.some((h) => covers(c.names, h));
      if (!orphan) continue;
      state.certificates.remove(c.id);
      store.remove(c.id);
    }
  }
}
