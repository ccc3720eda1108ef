// One server for a test file that deploys several apps: every app it creates is destroyed, every
// volume it names removed, and its temp dir deleted after the file's tests.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { startTestServer, type TestServer } from './server.js';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export interface AppServer {
  /** Set once the file's `before` ran. */
  s: TestServer;
  tmp: string;
  /** Volumes the test made itself, removed after. */
  volumes: string[];
  create(app: string): Promise<string>;
  /** `slipway deploy APP DIR`; fails the test unless it succeeds. */
  deploy(app: string, dir: string): Promise<void>;
}

export function useAppServer(tmpPrefix: string): AppServer {
  const apps: string[] = [];
  const h: AppServer = {
    s: undefined as unknown as TestServer,
    tmp: mkdtempSync(path.join(os.tmpdir(), tmpPrefix)),
    volumes: [],
    async create(app) {
      apps.push(app);
      assert.equal((await h.s.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status, 201);
      return app;
    },
    async deploy(app, dir) {
      const r = await h.s.cli(['deploy', app, dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    },
  };
  before(async () => {
    h.s = await startTestServer({ drainSeconds: 0 });
  });
  after(async () => {
    for (const app of apps) await h.s.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
    for (const v of h.volumes) await docker.getVolume(v).remove().catch(() => undefined);
    await h.s?.stop();
    rmSync(h.tmp, { recursive: true, force: true });
  });
  return h;
}
