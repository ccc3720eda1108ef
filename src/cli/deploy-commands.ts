// Release and deploy commands: deploy (tar upload), releases, rollback, config, scale, ps,
// builds, deploys. Commands that change what runs stream the server's live output.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { STATUS_PREFIX, type Outcome } from '../queue/progress.js';
import type { ApiClient } from './client.js';
import { printList } from './output.js';

const app = (name: string) => `/api/apps/${encodeURIComponent(name)}`;
/** commander turns `--no-deploy` into `deploy: false`. */
const deployQuery = (opts: { deploy?: boolean }) => (opts.deploy === false ? '?deploy=false' : '');

/** Prints a deploy stream and exits non-zero unless it succeeded. */
/** Prints a streamed operation (deploy, cluster:init, nodes:drain) and fails when it did. */
export async function follow(lines: AsyncIterable<string>): Promise<void> {
  let outcome: Outcome | null = null;
  for await (const line of lines) {
    if (line.startsWith(STATUS_PREFIX)) outcome = JSON.parse(line.slice(STATUS_PREFIX.length)) as Outcome;
    else if (line.startsWith('{')) {
      // A plain JSON answer (e.g. config saved before the first deploy).
      const o = JSON.parse(line) as { message?: string };
      console.log(o.message ?? line);
      return;
    } else console.log(line);
  }
  if (!outcome) throw new Error('lost contact with Slipway before the operation finished');
  if (outcome.status !== 'succeeded') process.exitCode = 1;
}

export function registerDeployCommands(program: Command, client: () => ApiClient): void {
  program
    .command('deploy <app> [dir]')
    .description('deploy a local directory without git (uploads a tar of it)')
    .action(async (name: string, dir = '.') => {
      const root = path.resolve(dir);
      if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`${dir} is not a directory`);
      console.log(`-----> Uploading ${root}`);
      // tar from the system, not a JS walk: --exclude-vcs skips .git; .dockerignore applies server-side.
      const tar = spawn('tar', ['-C', root, '--exclude-vcs', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await follow(client().lines('POST', `${app(name)}/deploys?trigger=cli`, tar.stdout, 'application/x-tar'));
    });

  program
    .command('releases <app>')
    .description('list releases: version, commit, image digest, created, status, description')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const rows = await client().get<Record<string, unknown>[]>(`${app(name)}/releases`);
      const view = rows.map((r) => ({
        ...r,
        v: `v${String(r.version)}`,
        commit: typeof r.sha === 'string' ? r.sha.slice(0, 7) : null,
        digest: typeof r.digest === 'string' ? r.digest.slice(0, 19) : null,
      }));
      printList(opts.json ? rows : view, ['v', 'status', 'commit', 'digest', 'createdAt', 'description'], opts.json);
    });

  program
    .command('rollback <app> [version]')
    .description('roll back to the previous release, or to VERSION (v3 or 3), without a build')
    .action(async (name: string, version?: string) => {
      await follow(client().lines('POST', `${app(name)}/rollback`, version ? { version } : {}));
    });

  program
    .command('config <app>')
    .description('show config vars')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const cfg = await client().get<Record<string, string>>(`${app(name)}/config`);
      if (opts.json) return console.log(JSON.stringify(cfg, null, 2));
      for (const [k, v] of Object.entries(cfg)) console.log(`${k}=${v}`);
    });

  program
    .command('config:get <app> <key>')
    .description("print one config var's value (exit 1 when it is not set)")
    .action(async (name: string, key: string) => {
      const cfg = await client().get<Record<string, string>>(`${app(name)}/config`);
      if (!Object.hasOwn(cfg, key)) throw new Error(`${key} is not set for ${name}`);
      console.log(cfg[key]);
    });

  program
    .command('config:set <app> <pairs...>')
    .description('set config vars (KEY=VALUE …); makes a new release')
    .option('--encoded', 'values are base64 (Dokku\'s flag), decoded by Slipway')
    .option('--no-deploy', 'store them for the next deploy; no release now')
    .action(async (name: string, pairs: string[], opts: { encoded?: boolean; deploy: boolean }) => {
      const set: Record<string, string> = {};
      for (const p of pairs) {
        const i = p.indexOf('=');
        if (i <= 0) throw new Error(`expected KEY=VALUE, got ${JSON.stringify(p)}`);
        set[p.slice(0, i)] = p.slice(i + 1);
      }
      await follow(client().lines('POST', `${app(name)}/config${deployQuery(opts)}`, { set, encoded: opts.encoded === true }));
    });

  program
    .command('config:unset <app> <keys...>')
    .description('unset config vars; makes a new release')
    .option('--no-deploy', 'store the change for the next deploy; no release now')
    .action(async (name: string, keys: string[], opts: { deploy: boolean }) => {
      await follow(client().lines('POST', `${app(name)}/config${deployQuery(opts)}`, { unset: keys }));
    });

  program
    .command('scale <app> <pairs...>')
    .description('set replicas per process type or service (web=3 worker=2); makes a new release')
    .option('--no-deploy', 'store them for the next deploy; no release now')
    .action(async (name: string, pairs: string[], opts: { deploy: boolean }) => {
      const scale: Record<string, number> = {};
      for (const p of pairs) {
        const m = /^([A-Za-z0-9_.-]+)=(\d+)$/.exec(p);
        if (!m) throw new Error(`expected SERVICE=N, got ${JSON.stringify(p)}`);
        scale[m[1]!] = Number(m[2]);
      }
      await follow(client().lines('POST', `${app(name)}/scale${deployQuery(opts)}`, scale));
    });

  program
    .command('ps <app>')
    .description('containers (service, color, release, state, health, address, port) and process types scaled to 0')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const c = client();
      const [rows, formation] = await Promise.all([
        c.get<Record<string, unknown>[]>(`${app(name)}/ps`),
        c.get<{ release: string | null; formation: { type: string; quantity: number; source: string }[] }>(`${app(name)}/formation`),
      ]);
      // Heroku's and Dokku's ps show every process type, also those with no container.
      const idle = formation.formation
        .filter((f) => f.quantity === 0)
        .map((f) => ({ service: f.type, name: null, kind: null, color: null, release: formation.release, state: 'scaled to 0', health: null, ip: null, port: null }));
      printList([...rows, ...idle], ['service', 'name', 'color', 'release', 'state', 'health', 'ip', 'port'], opts.json);
    });

  program
    .command('builds <app>')
    .description('list builds')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const rows = await client().get<Record<string, unknown>[]>(`${app(name)}/builds`);
      printList(rows, ['id', 'status', 'sha', 'buildpack', 'createdAt', 'finishedAt'], opts.json);
    });

  program
    .command('builds:logs <app> <build>')
    .description("print a build's stored output")
    .action(async (name: string, build: string) => {
      for await (const line of client().lines('GET', `${app(name)}/builds/${encodeURIComponent(build)}/log`)) console.log(line);
    });

  program
    .command('deploys <app>')
    .description('each deploy: trigger, commit, state, times')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const rows = await client().get<Record<string, unknown>[]>(`${app(name)}/deploys`);
      const view = rows.map((r) => ({ ...r, release: r.releaseVersion ? `v${String(r.releaseVersion)}` : null, commit: typeof r.sha === 'string' ? r.sha.slice(0, 7) : null }));
      printList(opts.json ? rows : view, ['id', 'trigger', 'commit', 'status', 'release', 'createdAt', 'finishedAt', 'error'], opts.json);
    });
}
