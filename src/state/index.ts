// The state stage's front: one object holding every repository over one database.
import { Apps } from './apps.js';
import { Builds } from './builds.js';
import { Changes } from './changes.js';
import { type Db, openDb } from './db.js';
import { Deployments } from './deployments.js';
import { Releases } from './releases.js';
import { Scaling } from './scaling.js';
import { Sessions } from './sessions.js';
import { Tokens } from './tokens.js';

export interface State {
  db: Db;
  apps: Apps;
  releases: Releases;
  builds: Builds;
  deployments: Deployments;
  tokens: Tokens;
  scaling: Scaling;
  sessions: Sessions;
  /** Live feed of app and deployment changes made through this process. */
  changes: Changes;
  close(): void;
}

export function openState(file: string): State {
  const db = openDb(file);
  const changes = new Changes();
  return {
    db,
    changes,
    apps: new Apps(db, changes),
    releases: new Releases(db),
    builds: new Builds(db),
    deployments: new Deployments(db, changes),
    tokens: new Tokens(db),
    scaling: new Scaling(db),
    sessions: new Sessions(db),
    close: () => db.close(),
  };
}
