// Connected-repository commands: apps:connect and webhooks.
import type { Command } from 'commander';
import type { ApiClient } from './client.js';

export function registerRepoCommands(program: Command, client: () => ApiClient): void {
  program
    .command('apps:connect <app>')
    .description('deploy APP from a remote repository on every push (prints the webhook URLs)')
    .requiredOption('--repo <url>', 'https:// or ssh:// clone URL')
    .option('--branch <name>', 'branch to deploy', 'main')
    .option('--token <token>', 'access token for a private repository (stored encrypted)')
    .action(async (app: string, opts: { repo: string; branch: string; token?: string }) => {
      const r = await client().post<{ webhooks: Record<string, string>; credential?: string }>(`/api/apps/${encodeURIComponent(app)}/connect`, opts);
      console.log(`-----> ${app} now deploys ${opts.repo} (${opts.branch})`);
      if (r.credential === 'dropped') console.log(' !     the stored token was for another host and is deleted; pass --token to give one for this host');
      console.log(`       GitHub webhook:  ${r.webhooks.github}   (content type application/json)`);
      console.log(`       GitLab webhook:  ${r.webhooks.gitlab}`);
      console.log(`       Secret:          ${r.webhooks.secret}`);
    });

  program
    .command('webhooks <app>')
    .description("show the app's webhook URLs and secret")
    .option('--json', 'print JSON')
    .action(async (app: string, opts: { json?: boolean }) => {
      const r = await client().get<Record<string, string>>(`/api/apps/${encodeURIComponent(app)}/webhooks`);
      if (opts.json) return console.log(JSON.stringify(r));
      for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(8)} ${v}`);
    });
}
