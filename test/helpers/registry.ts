// A private registry for a test (`docker-registry serve` on a free port, its own storage dir),
// so a test may delete manifests and garbage-collect without touching the machine's shared one.
// Docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './server.js';

export interface PrivateRegistry {
  /** host:port, as SLIPWAY_REGISTRY takes it. */
  address: string;
  configFile: string;
  /** Whether the registry still stores blob `digest` (sha256:…). */
  hasBlob(digest: string): boolean;
  blobCount(): number;
  stop(): Promise<void>;
}

export async function privateRegistry(): Promise<PrivateRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const configFile = path.join(dir, 'config.yml');
  const storage = path.join(dir, 'storage');
  writeFileSync(configFile, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: ${address}\n`);
  const child = spawn('docker-registry', ['serve', configFile], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    if (await fetch(`http://${address}/v2/`).then((r) => r.ok, () => false)) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`docker-registry did not come up on ${address}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const blobs = path.join(storage, 'docker/registry/v2/blobs/sha256');
  return {
    address,
    configFile,
    hasBlob: (digest) => existsSync(path.join(blobs, digest.slice(7, 9), digest.slice(7), 'data')),
    blobCount: () =>
      existsSync(blobs) ? readdirSync(blobs).reduce((n, p) => n + readdirSync(path.join(blobs, p)).filter((d) => existsSync(path.join(blobs, p, d, 'data'))).length, 0) : 0,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
