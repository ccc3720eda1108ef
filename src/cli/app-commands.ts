// App commands: apps, apps:create, apps:info, apps:destroy.
import type { Command } from 'commander';
import type { ApiClient } from './client.js';
import { printList } from './output.js';

interface AppView {
  name: string;
  url: string;
  gitRemote: string;
  release: string | null;
  createdAt: string;
  deployBranch: string;
  repo: { url: string; branch: string } | null;
  logRetention: LogRetention;
}

interface DiskUse {
  images: { count: number; bytes: number; sharedBytes: number };
  volumes: { count: number; bytes: number };
  logs: { storeBytes: number; buildLogBytes: number; deployOutputBytes: number };
  totalBytes: number;
}

/** 1536 → "1.5 kB": decimal units, as `docker system df` shows them. */
export function bytesText(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) (v /= 1000), i++;
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function diskLines(d: DiskUse): string[] {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const logs = d.logs.storeBytes + d.logs.buildLogBytes + d.logs.deployOutputBytes;
  return [
    `Disk:        ${bytesText(d.totalBytes)} in all`,
    `  images:    ${plural(d.images.count, 'image')}, ${bytesText(d.images.bytes)} (+ ${bytesText(d.images.sharedBytes)} of base layers shared with other images)`,
    `  logs:      ${bytesText(logs)} (log store ${bytesText(d.logs.storeBytes)}, build logs ${bytesText(d.logs.buildLogBytes)}, deploy output ${bytesText(d.logs.deployOutputBytes)})`,
    `  volumes:   ${plural(d.volumes.count, 'volume')}, ${bytesText(d.volumes.bytes)}`,
  ];
}

interface LogRetention {
  mb: number;
  days: number;
  own: boolean;
}

const retentionText = (r: LogRetention) => `${r.mb} MB, ${r.days ? `${r.days} days` : 'no age limit'}${r.own ? '' : ' (server default)'}`;

export function registerAppCommands(program: Command, client: () => ApiClient): void {
  program
    .command('apps')
    .description('list apps')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const apps = await client().get<AppView[]>('/api/apps');
      printList(apps as unknown as Record<string, unknown>[], ['name', 'release', 'url'], opts.json);
    });

  program
    .command('apps:create <name>')
    .description('create an app')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const app = await client().post<AppView>('/api/apps', { name });
      if (opts.json) return console.log(JSON.stringify(app, null, 2));
      console.log(`-----> Created ${app.name}`);
      console.log(`       git remote add slipway ${app.gitRemote}`);
      console.log(`       git push slipway main`);
      console.log(`       It will serve at ${app.url}`);
    });

  program
    .command('apps:info <name>')
    .description('show an app: git remote, URL, current release, disk use (images, logs, volumes)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const app = await client().get<AppView & { disk: DiskUse | null }>(`/api/apps/${encodeURIComponent(name)}`);
      if (opts.json) return console.log(JSON.stringify(app, null, 2));
      console.log(`=== ${app.name}`);
      console.log(`Git remote:  ${app.gitRemote}`);
      console.log(`URL:         ${app.url}`);
      console.log(`Release:     ${app.release ?? '(not deployed yet)'}`);
      console.log(`Branch:      ${app.deployBranch}`);
      if (app.repo) console.log(`Repository:  ${app.repo.url} (${app.repo.branch})`);
      console.log(`Logs kept:   ${retentionText(app.logRetention)}`);
      if (app.disk) for (const l of diskLines(app.disk)) console.log(l);
      console.log(`Created:     ${app.createdAt}`);
    });

  program
    .command('apps:log-retention <name>')
    .description("set how much of the log store the app's lines may use (its oldest lines go first)")
    .option('--mb <n>', 'at most about N MB of log lines')
    .option('--days <n>', 'drop lines older than N days (0: no age limit)')
    .option('--default', "back to the server's defaults (SLIPWAY_APP_LOG_RETENTION_MB, SLIPWAY_LOG_RETENTION_DAYS)")
    .action(async (name: string, opts: { mb?: string; days?: string; default?: boolean }) => {
      const body = opts.default ? { mb: null, days: null } : { mb: opts.mb, days: opts.days };
      const r = await client().put<LogRetention>(`/api/apps/${encodeURIComponent(name)}/log-retention`, body);
      console.log(`-----> ${name} keeps ${retentionText(r)} of log lines`);
    });

  program
    .command('apps:destroy <name>')
    .description('destroy an app, its containers and releases')
    .requiredOption('--confirm <name>', 'repeat the app name to confirm')
    .action(async (name: string, opts: { confirm: string }) => {
      await client().delete(`/api/apps/${encodeURIComponent(name)}?confirm=${encodeURIComponent(opts.confirm)}`);
      console.log(`-----> Destroyed ${name}`);
    });
}
