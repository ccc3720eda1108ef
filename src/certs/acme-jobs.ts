// ACME issuance and renewal as queued jobs, one per domain: a scan finds the domains that are
// due (new, at two thirds of their certificate's life, forced, or retrying after a back-off)
// and queues them; a job orders the certificate, answers the HTTP-01 challenge from HAProxy's
// challenge map, and swaps the certificate in live. A failure keeps the old certificate
// serving, is recorded (shown by `slipway certs`) and logged, and waits its back-off.
import { errorMessage, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { Periodic } from '../periodic.js';
import type { State } from '../state/index.js';
import type { ChallengeResponder, IssueCertificate } from './acme.js';
import { bundleFacts } from './pem.js';
import { acmeDue, retryDelayMs } from './renewal.js';
import type { CertService } from './service.js';
import type { CertStore } from './store.js';

export interface AcmeJobsDeps {
  state: State;
  store: CertStore;
  certs: CertService;
  /** Null when HTTPS is off: nothing is issued. */
  issue: IssueCertificate | null;
  challenges: { set(token: string, keyAuthorization: string): Promise<void>; delete(token: string): Promise<void> };
  /** Queues `run(domain)` unless it is already queued (src/queue/keyed-jobs.ts). */
  enqueue(domain: string): Promise<void>;
  /** Server-wide default for apps that never ran certs:auto. */
  certsAuto: boolean;
  logger: Logger;
  /** A line in the app's log (`slipway logs APP --service certs`). */
  appLog(app: string, line: string): void;
  now?: () => Date;
}

export class AcmeJobs {
  constructor(private readonly deps: AcmeJobsDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  autoFor(app: string): boolean {
    const a = this.deps.state.apps.get(app);
    return this.deps.state.domains.certsAuto(a.id) ?? this.deps.certsAuto;
  }

  /** `certs:auto APP on|off`. Off stops managing the app's names and drops their ACME
   *  certificates (an uploaded one keeps serving). Returns the names now managed. */
  async setAuto(app: string, on: boolean): Promise<string[]> {
    const { state } = this.deps;
    const a = state.apps.get(app);
    if (on && !this.deps.issue) throw new UserError('HTTPS is off on this server (SLIPWAY_HTTPS_PORT=0): no certificate can be issued', 409);
    state.domains.setCertsAuto(a.id, on);
    const names = state.domains.ofApp(a.id);
    if (on) for (const d of names) await this.manage(d);
    else {
      for (const d of names) state.certificates.acmeRemove(d);
      await this.deps.certs.domainRemoved(app);
    }
    return on ? names : [];
  }

  /** A domain was added: ACME manages it when the app (or the server default) says so. */
  async domainAdded(app: string | null, domain: string): Promise<void> {
    if (this.deps.issue && (app === null || this.autoFor(app))) await this.manage(domain);
    else await this.deps.certs.sync(); // an uploaded certificate may cover it
  }

  /** `certs:renew`: an attempt now for the app's ACME names (or one of them). */
  async renew(app: string, domain?: string): Promise<string[]> {
    const { state } = this.deps;
    const a = state.apps.get(app);
    const managed = state.domains.ofApp(a.id).filter((d) => state.certificates.acme(d));
    const names = domain === undefined ? managed : managed.filter((d) => d === domain);
    if (!names.length)
      throw new UserError(domain ? `${domain} is not managed by ACME for ${app} (see: slipway certs:auto ${app} on)` : `${app} has no ACME-managed domain (slipway certs:auto ${app} on)`, 422);
    for (const d of names) {
      state.certificates.acmeUpdate(d, { nextAttemptAt: this.now().toISOString() });
      await this.deps.enqueue(d);
    }
    return names;
  }

  /** Queues every domain that is due; run at start-up and every minute. */
  async scan(): Promise<string[]> {
    if (!this.deps.issue) return [];
    const { state } = this.deps;
    const due: string[] = [];
    for (const row of state.certificates.acmeAll()) {
      const cert = row.certificateId === null ? undefined : state.certificates.get(row.certificateId);
      if (acmeDue(row, cert, this.now())) due.push(row.domain);
    }
    for (const d of due) await this.deps.enqueue(d);
    return due;
  }

  /** Scans now and then every `ms`; stop() the returned ticker. */
  startScanning(ms = 60_000): Periodic {
    const ticker = new Periodic(async () => void (await this.scan()), ms, (e) => this.deps.logger.warn('certificate scan failed', { error: errorMessage(e) }));
    ticker.start(0);
    return ticker;
  }

  /** The job: one ACME order for `domain`, if it is still managed and due. */
  async run(domain: string): Promise<void> {
    const { state, store, logger } = this.deps;
    const row = state.certificates.acme(domain);
    const owner = state.domains.find(domain);
    if (!row || !owner || !this.deps.issue) return; // removed, or auto turned off, since it was queued
    const previous = row.certificateId === null ? undefined : state.certificates.get(row.certificateId);
    const kind = acmeDue(row, previous, this.now());
    if (!kind) return;
    const started = this.now();
    state.certificates.acmeUpdate(domain, { lastAttemptAt: started.toISOString() });
    const say = (line: string) => owner.app !== null && this.deps.appLog(owner.app, line);
    try {
      const pem = await this.deps.issue(domain, this.responder());
      if (state.domains.find(domain)?.app !== owner.app) return; // removed meanwhile
      const facts = bundleFacts(pem);
      const appId = owner.app === null ? null : state.apps.get(owner.app).id;
      const cert = state.certificates.create({
        appId,
        source: 'acme',
        names: facts.names,
        issuer: facts.issuer,
        notBefore: facts.notBefore.toISOString(),
        notAfter: facts.notAfter.toISOString(),
        fingerprint: facts.fingerprint,
      });
      store.write(cert.id, pem);
      state.certificates.acmeUpdate(domain, { certificateId: cert.id, failures: 0, lastSuccessAt: this.now().toISOString(), lastError: null, nextAttemptAt: null });
      await this.deps.certs.sync();
      if (previous) {
        state.certificates.remove(previous.id);
        store.remove(previous.id);
      }
      logger.info(`certificate ${kind === 'issue' ? 'issued' : 'renewed'}`, { domain, issuer: facts.issuer, notAfter: cert.notAfter });
      say(`certificate for ${domain} ${kind === 'issue' ? 'issued' : 'renewed'} by ${facts.issuer}, valid until ${cert.notAfter}`);
    } catch (e) {
      const failures = (state.certificates.acme(domain)?.failures ?? 0) + 1;
      const next = new Date(this.now().getTime() + retryDelayMs(failures));
      const message = errorMessage(e);
      state.certificates.acmeUpdate(domain, { failures, lastError: message, nextAttemptAt: next.toISOString() });
      const keeps = previous ? `; the current certificate (valid until ${previous.notAfter}) keeps serving` : '';
      logger.warn(`certificate ${kind === 'issue' ? 'issuance' : 'renewal'} failed`, { domain, error: message, failures, nextAttemptAt: next.toISOString() });
      say(`certificate ${kind === 'issue' ? 'issuance' : 'renewal'} for ${domain} failed: ${message}${keeps}; next attempt at ${next.toISOString()}`);
    }
  }

  private async manage(domain: string): Promise<void> {
    this.deps.state.certificates.acmeEnsure(domain);
    await this.deps.enqueue(domain);
  }

  private responder(): ChallengeResponder {
    return { put: (token, keyAuthorization) => this.deps.challenges.set(token, keyAuthorization), remove: (token) => this.deps.challenges.delete(token) };
  }
}
