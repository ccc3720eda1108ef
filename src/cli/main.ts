#!/usr/bin/env node
// `slipway`: the CLI over the REST API (commander). Each command is a thin call; the server
// does the work. `slipway server` runs the server itself.
import { Command } from 'commander';
import { ApiClient, ApiError, loadCredentials, saveCredentials } from './client.js';
import { registerAppCommands } from './app-commands.js';
import { registerDeployCommands } from './deploy-commands.js';
import { registerLogsCommand } from './logs-command.js';
import { registerRepoCommands } from './repo-commands.js';
import { registerClusterCommands } from './cluster-commands.js';
import { registerRunCommand } from './run-command.js';
import { registerPortsCommands } from './ports-commands.js';
import { registerImagesCommands } from './images-commands.js';
import { registerJobCommands } from './jobs-commands.js';
import { registerMetricsCommand } from './metrics-command.js';
import { registerAutoscaleCommands } from './autoscale-commands.js';
import { registerDomainCommands } from './domain-commands.js';

const program = new Command();
program.name('slipway').description('Self-hosted git-push deploys: build, release, blue-green, logs, rollback.');
program.showHelpAfterError();

const client = () => new ApiClient(loadCredentials());

program
  .command('login')
  .description('save the API URL and token for later commands')
  .requiredOption('--url <url>', 'Slipway API URL, e.g. http://127.0.0.1:7100')
  .requiredOption('--token <token>', 'an API token (the admin token is DATA/admin-token)')
  .action(async (opts: { url: string; token: string }) => {
    const c = new ApiClient({ url: opts.url.replace(/\/+$/, ''), token: opts.token });
    await c.get('/api/apps');
    const file = saveCredentials({ url: opts.url.replace(/\/+$/, ''), token: opts.token });
    console.log(`Logged in to ${opts.url} (saved in ${file})`);
  });

program
  .command('login:ui')
  .description('print a one-time code that signs a browser in to the dashboard (good once, for 10 minutes)')
  .action(async () => {
    const c = client();
    const r = await c.post<{ code: string; expiresAt: string }>('/api/session/codes');
    console.log(`Open ${c.url}/ and sign in with this one-time code (good once, until ${new Date(r.expiresAt).toLocaleTimeString()}):\n\n  ${r.code}\n`);
  });

program
  .command('server')
  .description('run the Slipway server in the foreground')
  .action(async () => {
    const { runServerCommand } = await import('./server-command.js');
    await runServerCommand();
  });

program
  .command('supervise')
  .description('run the server under a supervisor that restarts it after a crash (where there is no systemd)')
  .action(async () => {
    const { runSuperviseCommand } = await import('./supervise-command.js');
    await runSuperviseCommand();
  });

program
  .command('agent')
  .description("run a swarm node's agent (started by cluster:init as a global Swarm service)")
  .action(async () => {
    const { agentMain } = await import('../cluster/agent/agent.js');
    await agentMain();
  });

registerAppCommands(program, client);
registerDeployCommands(program, client);
registerLogsCommand(program, client);
registerRepoCommands(program, client);
registerClusterCommands(program, client);
registerRunCommand(program, client);
registerPortsCommands(program, client);
registerImagesCommands(program, client);
registerJobCommands(program, client);
registerMetricsCommand(program, client);
registerAutoscaleCommands(program, client);
registerDomainCommands(program, client);

program.parseAsync(process.argv).catch((e: unknown) => {
  const msg = e instanceof ApiError || e instanceof Error ? e.message : String(e);
  console.error(` !     ${msg}`);
  process.exit(1);
});
