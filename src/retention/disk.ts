// How much disk an app takes, as `slipway apps:info` shows it: its images and volumes (the
// engine's own accounting), its lines in the log store, its build logs and deploy outputs.
import { statSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { LABELS } from '../domain.js';
import { labelledDiskUse, type LabelledDiskUse } from '../docker/disk.js';
import type { AppRow } from '../state/apps.js';
import type { State } from '../state/index.js';

export interface AppDiskUse extends LabelledDiskUse {
  logs: { storeBytes: number; buildLogBytes: number; deployOutputBytes: number };
  /** Everything above that is the app's alone (shared image layers left out). */
  totalBytes: number;
}

export interface DiskDeps {
  docker: Dockerode;
  state: State;
  /** About how many bytes the app's lines take in the log store. */
  logStoreBytes(app: string): number;
  outputFile(deploymentId: number): string;
}

const size = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

export async function appDiskUse(deps: DiskDeps, app: AppRow): Promise<AppDiskUse> {
  const engine = await labelledDiskUse(deps.docker, LABELS.app, app.name);
  const logs = {
    storeBytes: deps.logStoreBytes(app.name),
    buildLogBytes: deps.state.builds.all(app.id).reduce((a, b) => a + size(b.logPath), 0),
    deployOutputBytes: deps.state.deployments.all(app.id).reduce((a, d) => a + size(deps.outputFile(d.id)), 0),
  };
  const totalBytes = engine.images.bytes + engine.volumes.bytes + logs.storeBytes + logs.buildLogBytes + logs.deployOutputBytes;
  return { ...engine, logs, totalBytes };
}
