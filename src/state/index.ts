// The state stage's front: one object holding every repository over one database.
import { Apps } from './apps.js';
import { Builds } from './builds.js';
import { Certificates } from './certificates.js';
import { type Db, openDb } from './db.js';
import { Deployments } from './deployments.js';
import { Ports } from './ports.js';
import { Domains } from './domains.js';
import { Releases } from './releases.js';
import { Runs } from './runs.js';
import { Scaling } from './scaling.js';
import { Tokens } from './tokens.js';

export interface State {
  db: Db;
  apps: Apps;
  releases: Releases;
  builds: Builds;
  deployments: Deployments;
  ports: Ports;
  tokens: Tokens;
  runs: Runs;
  scaling: Scaling;
  domains: Domains;
  certificates: Certificates;
  close(): void;
}

export function openState(file: string): State {
  const db = openDb(file);
  return {
    db,
    apps: new Apps(db),
    releases: new Releases(db),
    builds: new Builds(db),
    deployments: new Deployments(db),
    ports: new Ports(db),
    tokens: new Tokens(db),
    runs: new Runs(db),
    scaling: new Scaling(db),
    domains: new Domains(db),
    certificates: new Certificates(db),
    close: () => db.close(),
  };
}
