// The state stage's front: one object holding every repository over one database.
import { Apps } from './apps.js';
import { Builds } from './builds.js';
import { type Db, openDb } from './db.js';
import { Deployments } from './deployments.js';
import { Ports } from './ports.js';
import { Releases } from './releases.js';
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
  scaling: Scaling;
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
    scaling: new Scaling(db),
    close: () => db.close(),
  };
}
