// The ports plugin's commands, as Dokku names them: ports, ports:add, ports:remove.
import type { Command } from 'commander';
import type { ApiClient } from './client.js';
import { printList } from './output.js';

interface Mapping {
  scheme: string;
  hostPort: number;
  containerPort: number;
  source: string;
}

const path = (app: string) => `/api/apps/${encodeURIComponent(app)}/ports`;
const print = (rows: Mapping[], json?: boolean) =>
  printList(rows.map((m) => ({ ...m, mapping: `${m.scheme}:${m.hostPort}:${m.containerPort}` })) as unknown as Record<string, unknown>[], ['mapping', 'scheme', 'hostPort', 'containerPort', 'source'], json);

export function registerPortsCommands(program: Command, client: () => ApiClient): void {
  program
    .command('ports <app>')
    .description("list the app's host ports: SCHEME:HOST-PORT:CONTAINER-PORT (besides APP.DOMAIN on the HTTP port)")
    .option('--json', 'print JSON')
    .action(async (app: string, opts: { json?: boolean }) => print(await client().get<Mapping[]>(path(app)), opts.json));

  program
    .command('ports:add <app> <mappings...>')
    .description('listen on a host port for the web service: http:8080:3000 (HTTP) or tcp:5432:5432 (any TCP protocol)')
    .action(async (app: string, add: string[]) => print(await client().post<Mapping[]>(path(app), { add })));

  program
    .command('ports:remove <app> <ports...>')
    .description('stop listening on host ports (8080, or http:8080:3000)')
    .action(async (app: string, remove: string[]) => print(await client().post<Mapping[]>(path(app), { remove })));
}
