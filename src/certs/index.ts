// The certificates capability, built from the config for the composition root (src/server.ts):
// the sealed store, what HAProxy serves, the ACME issuer and its per-domain job queue.
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { State } from '../state/index.js';
import { KeyedJobs } from '../queue/keyed-jobs.js';
import { acmeDirectoryUrl, acmeIssuer, newAccountKey } from './acme.js';
import { AcmeJobs } from './acme-jobs.js';
import { CertService, type CertsOnProxy, type MapOnProxy } from './service.js';
import { CertStore } from './store.js';

export interface CertificatesDeps {
  config: Config;
  state: State;
  /** DATA/certs */
  dir: string;
  secretKey: Buffer;
  /** The proxy's TLS parts (src/proxy/haproxy-certs.ts `proxyTls`). */
  proxy: { certs: CertsOnProxy; redirects: MapOnProxy; challenges: AcmeChallenges };
  /** A line in the app's log. */
  appLog(app: string, line: string): void;
  logger: Logger;
}

type AcmeChallenges = { set(token: string, keyAuthorization: string): Promise<void>; delete(token: string): Promise<void> };

export function createCertificates(deps: CertificatesDeps) {
  const { config, state, logger } = deps;
  const https = config.httpsPort !== 0;
  const store = new CertStore(deps.dir, deps.secretKey);
  const certs = new CertService({
    state,
    store,
    proxy: deps.proxy.certs,
    redirects: deps.proxy.redirects,
    settings: { enabled: https, appsDomain: config.appsDomain, httpsRedirect: config.httpsRedirect },
    releaseConfig: (app) => state.releases.current(state.apps.get(app).id)?.config ?? null,
    logger,
  });
  const directoryUrl = acmeDirectoryUrl(config);
  const acme: AcmeJobs = new AcmeJobs({
    state,
    store,
    certs,
    issue: https ? acmeIssuer({ directoryUrl, email: config.acmeEmail, caFile: config.acmeCaFile }, () => store.accountKey(directoryUrl, newAccountKey)) : null,
    challenges: deps.proxy.challenges,
    enqueue: (domain) => jobs.add(domain),
    certsAuto: config.certsAuto ?? Boolean(config.acmeEmail),
    logger,
    appLog: deps.appLog,
  });
  const jobs = new KeyedJobs({ redisUrl: config.redisUrl, prefix: config.queuePrefix, name: 'certs', run: (d) => acme.run(d), logger });
  return { certs, acme, jobs };
}
