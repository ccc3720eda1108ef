// Starts a real Slipway server for a test: temp data dir, port 0, its own queue prefix and
// HAProxy port, against the machine's real Docker, registry and Redis.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dataPaths, loadConfig, type Config } from '../../src/config.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { HaproxyProcess, haproxyPaths } from '../../src/proxy/haproxy-process.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface TestServer extends RunningServer {
  config: Config;
  token: string;
  dataDir: string;
  /** fetch against the API with the admin token. */
  api(p: string, init?: RequestInit): Promise<Response>;
  /** Creates an app named PREFIX-unique; `stop()` destroys it (with its containers and routes). */
  createApp(prefix: string): Promise<string>;
  /** Runs the real CLI (bin/slipway, from source) against this server. */
  cli(args: string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }>;
  /** Closes the server and stops its HAProxy, then removes the data dir. (`close()` alone
   *  keeps both, as a Slipway restart does.) */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.slice(0, 40);
}

/** `overrides.dataDir` (with the same queuePrefix, httpPort and httpsPort) restarts on an earlier server's data. */
export async function startTestServer(overrides: Partial<Config> = {}, options: ServerOptions = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'slipway-test-'));
  const config = loadConfig(
    {},
    {
      dataDir,
      port: 0,
      httpPort: await freePort(),
      // HTTPS (port 443 by default) only for the tests that ask for it, with their own port.
      httpsPort: 0,
      queuePrefix: uniqueName('t'),
      logLevel: (process.env.SLIPWAY_TEST_LOG as Config['logLevel']) || 'error',
      drainSeconds: 1,
      allowFileRepos: true,
      ...overrides,
    },
  );
  const server = await startServer(config, createLogger(config.logLevel, true), options);
  const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const created: string[] = [];
  const api: TestServer['api'] = (p, init = {}) =>
    fetch(server.url + p, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  return {
    ...server,
    config,
    token,
    dataDir,
    api,
    async createApp(prefix) {
      const name = uniqueName(prefix);
      const res = await api('/api/apps', { method: 'POST', body: JSON.stringify({ name }) });
      if (res.status !== 201) throw new Error(`creating app ${name}: HTTP ${res.status} ${await res.text()}`);
      created.push(name);
      return name;
    },
    cli: (args, env = {}) => runCli(args, { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: token, ...env }),
    async stop() {
      for (const a of created) await api(`/api/apps/${a}?confirm=${a}`, { method: 'DELETE' }).catch(() => undefined);
      await server.close();
      // Slipway leaves HAProxy serving when it exits; a test must not.
      await new HaproxyProcess(config.haproxyBin, haproxyPaths(dataPaths(config).haproxy), silentLogger()).terminate();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(dataPaths(config).tlsRuntime, { recursive: true, force: true });
    },
  };
}

export async function runCli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(path.join(ROOT, 'bin/slipway'), args, {
      env: { ...process.env, SLIPWAY_FROM_SOURCE: '1', SLIPWAY_CLI_HOME: mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-')), ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}
