// `slipway run APP [--service S] [--detach] -- COMMAND…`: a one-off in the serving release; its
// output streams live and its exit code becomes the CLI's.
import type { Command } from 'commander';
import { HEARTBEAT_LINE, type RunOutcome } from '../deploy/run.js';
import { STATUS_PREFIX } from '../queue/progress.js';
import type { ApiClient } from './client.js';

export function registerRunCommand(program: Command, client: () => ApiClient): void {
  program
    .command('run <app> <command...>')
    .description('run a one-off command in the serving release (config, networks, volumes of the service); put it after --')
    .option('--service <service>', 'whose image, environment and volumes to use (default web)')
    .option('--detach', 'print the container id and return; its output goes to slipway logs APP --service run')
    .usage('<app> [--service S] [--detach] -- COMMAND [ARGS…]')
    .action(async (name: string, command: string[], opts: { service?: string; detach?: boolean }) => {
      const path = `/api/apps/${encodeURIComponent(name)}/run`;
      const body = { command, ...(opts.service ? { service: opts.service } : {}), ...(opts.detach ? { detach: true } : {}) };
      if (opts.detach) {
        const started = await client().post<{ id: string; name: string; service: string; release: number }>(path, body);
        console.log(started.id);
        console.error(`-----> ${started.name} runs detached (v${started.release}); follow it with: slipway logs ${name} --service run -f`);
        return;
      }
      let outcome: RunOutcome | null = null;
      for await (const line of client().lines('POST', path, body)) {
        if (line.startsWith(STATUS_PREFIX)) outcome = JSON.parse(line.slice(STATUS_PREFIX.length)) as RunOutcome;
        else if (line !== HEARTBEAT_LINE) console.log(line);
      }
      if (!outcome) throw new Error('lost contact with Slipway before the command finished');
      process.exitCode = outcome.exitCode;
    });
}
