// The git adapter for pushed apps: one bare repository per app in the data dir, wired to
// Slipway's pre-receive hook. Only this file and git-http.ts run git for pushes.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { isValidAppName } from '../domain.js';

const run = promisify(execFile);

/** templates/git-hooks, found from this module in both src/ (tsx) and dist/ (tsc). */
export const HOOK_SCRIPT = path.resolve(import.meta.dirname, '../../templates/git-hooks/pre-receive.mjs');

export class GitRepos {
  /** `maxInputBytes`: the largest pack a push may send (git's receive.maxInputSize). */
  constructor(
    private readonly reposDir: string,
    private readonly maxInputBytes = 1024 ** 3,
  ) {}

  dir(app: string): string {
    if (!isValidAppName(app)) throw new Error(`invalid app name ${app}`);
    return path.join(this.reposDir, `${app}.git`);
  }

  /** Creates the bare repo when missing and (re)points it at the current hook. Idempotent. */
  async ensure(app: string): Promise<string> {
    const dir = this.dir(app);
    if (!existsSync(path.join(dir, 'HEAD'))) {
      mkdirSync(dir, { recursive: true });
      await run('git', ['init', '--bare', '--quiet', '--initial-branch=main', '--', dir]);
    }
    const hooks = path.join(dir, 'slipway-hooks');
    mkdirSync(hooks, { recursive: true });
    // A shell shim so the hook runs with the node that runs Slipway, wherever it is installed.
    writeFileSync(
      path.join(hooks, 'pre-receive'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(HOOK_SCRIPT)}\n`,
      { mode: 0o755 },
    );
    const set = (k: string, v: string) => run('git', ['--git-dir', dir, 'config', k, v]);
    await set('core.hooksPath', hooks);
    await set('http.receivepack', 'true');
    await set('receive.denyNonFastForwards', 'false');
    await set('receive.denyDeletes', 'false');
    // git refuses a bigger pack while it streams in ("pack exceeds maximum allowed size"),
    // before it is stored; set on every request, so a changed limit applies to old repos too.
    await set('receive.maxInputSize', String(this.maxInputBytes));
    return dir;
  }

  remove(app: string): void {
    rmSync(this.dir(app), { recursive: true, force: true });
  }
}
