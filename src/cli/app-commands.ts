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
    .description('show an app: git remote, URL, current release')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const app = await client().get<AppView>(`/api/apps/${encodeURIComponent(name)}`);
      if (opts.json) return console.log(JSON.stringify(app, null, 2));
      console.log(`=== ${app.name}`);
      console.log(`Git remote:  ${app.gitRemote}`);
      console.log(`URL:         ${app.url}`);
      console.log(`Release:     ${app.release ?? '(not deployed yet)'}`);
      console.log(`Branch:      ${app.deployBranch}`);
      if (app.repo) console.log(`Repository:  ${app.repo.url} (${app.repo.branch})`);
      console.log(`Logs kept:   ${retentionText(app.logRetention)}`);
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
