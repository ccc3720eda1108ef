// The state stage's front: one object holding every repository over one database.
import { Apps } from './apps.js';
import { Builds } from './builds.js';
import { Certificates } from './certificates.js';
import { Changes } from './changes.js';
import { type Db, openDb } from './db.js';
import { WebhookDeliveries } from './deliveries.js';
import { Deployments } from './deployments.js';
import { Ports } from './ports.js';
import { Domains } from './domains.js';
import { Releases } from './releases.js';
import { Runs } from './runs.js';
import type { Sealer } from './sealer.js';
import { Scaling } from './scaling.js';
import { Sessions } from './sessions.js';
import { Tokens } from './tokens.js';

export interface State {
  db: Db;
  apps: Apps;
  releases: Releases;
  builds: Builds;
  deployments: Deployments;
  ports: Ports;
  deliveries: WebhookDeliveries;
  tokens: Tokens;
  runs: Runs;
  scaling: Scaling;
  domains: Domains;
  certificates: Certificates;
  sessions: Sessions;
  /** Live feed of app and deployment changes made through this process. */
  changes: Changes;
  close(): void;
}

/** `sealer` encrypts what is secret at rest (see sealer.ts); the server builds it on DATA/secret.key. */
export function openState(file: string, sealer: Sealer): State {
  const db = openDb(file, { sealer });
  const changes = new Changes();
  return {
    db,
    changes,
    apps: new Apps(db, sealer, changes),
    releases: new Releases(db, sealer),
    builds: new Builds(db),
    deployments: new Deployments(db, changes),
    deliveries: new WebhookDeliveries(db),
    ports: new Ports(db),
    tokens: new Tokens(db),
    runs: new Runs(db),
    scaling: new Scaling(db),
    domains: new Domains(db),
    certificates: new Certificates(db),
    sessions: new Sessions(db),
    close: () => db.close(),
  };
}
