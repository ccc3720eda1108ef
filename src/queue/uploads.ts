// Uploaded tars (git push via the pre-receive hook, `slipway deploy`), one per deployment at
// DATA/uploads/ID.tar. An upload is kept until its deployment's outcome is final — a transient
// failure is retried from it — and removed then: succeeded, failed for good, superseded.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

export class Uploads {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  file(deploymentId: number): string {
    return path.join(this.dir, `${deploymentId}.tar`);
  }

  remove(deploymentId: number): void {
    rmSync(this.file(deploymentId), { force: true });
  }

  /** Removes the uploads of deployments that will not run again (start-up: those a crash
   *  interrupted, or whose app was deleted). Returns how many. */
  removeFinished(pending: (deploymentId: number) => boolean): number {
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      const m = /^(\d+)\.tar$/.exec(name);
      if (!m || pending(Number(m[1]))) continue;
      rmSync(path.join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }
}
