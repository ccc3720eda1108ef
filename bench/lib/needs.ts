// What a benchmark needs, checked before it starts, so a missing tool is a one-line message
// saying how to get it rather than a crash halfway (with things left running). `npm run up`
// installs the bench tools (scripts/bench-tools.sh: Debian's wrk and nginx).
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Need =
  | { command: string; debianPackage: string }
  | { service: 'docker' | 'redis' | 'registry' };

const SERVICES = {
  docker: 'Docker Engine (/var/run/docker.sock)',
  redis: `Redis (${process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379'})`,
  registry: `the registry (${process.env.SLIPWAY_REGISTRY ?? '127.0.0.1:5000'})`,
};

async function has(need: Need): Promise<boolean> {
  if ('command' in need) return run('sh', ['-c', `command -v "$1"`, 'sh', need.command]).then(() => true, () => false);
  if (need.service === 'docker') return run('docker', ['info', '--format', '{{.ID}}']).then(() => true, () => false);
  if (need.service === 'registry') return fetch(`http://${process.env.SLIPWAY_REGISTRY ?? '127.0.0.1:5000'}/v2/`).then((r) => r.ok, () => false);
  const url = new URL(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379');
  return new Promise((resolve) => {
    const s = net.connect(Number(url.port || 6379), url.hostname, () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** Exits with status 2 and says what is missing and how to get it, before the bench does anything. */
export async function requireAll(bench: string, needs: Need[]): Promise<void> {
  const missing: string[] = [];
  for (const n of needs) {
    if (await has(n)) continue;
    missing.push('command' in n ? `${n.command} (Debian package "${n.debianPackage}")` : SERVICES[n.service]);
  }
  if (!missing.length) return;
  console.error(`bench/${bench} needs ${missing.join(', ')}.`);
  console.error('Run `npm run up` (it installs and starts them, bench tools included), or install the packages named with apt-get.');
  process.exit(2);
}

export const WRK: Need = { command: 'wrk', debianPackage: 'wrk' };
export const NGINX: Need = { command: 'nginx', debianPackage: 'nginx' };
export const HAPROXY: Need = { command: 'haproxy', debianPackage: 'haproxy' };
export const GIT: Need = { command: 'git', debianPackage: 'git' };
export const CHROMIUM: Need = { command: 'chromium', debianPackage: 'chromium' };
