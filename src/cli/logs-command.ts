// `slipway logs APP`: the last lines of an app (all services merged by time) or, with -f, its
// live lines across deploys; plain `TS service.container | line` or one JSON object a line.
import type { Command } from 'commander';
import type { LogEntry } from '../logs/entry.js';
import type { ApiClient } from './client.js';

export interface LogsOptions {
  follow?: boolean;
  service?: string;
  stream?: string;
  since?: string;
  grep?: string;
  lines?: string;
  release?: string;
  run?: string;
  json?: boolean;
}

/** The API query for these options (the server validates the values). */
export function logsQuery(opts: LogsOptions): string {
  const q = new URLSearchParams();
  if (opts.service) q.set('service', opts.service);
  if (opts.stream) q.set('stream', opts.stream);
  if (opts.since) q.set('since', opts.since);
  if (opts.grep) q.set('grep', opts.grep);
  if (opts.release) q.set('release', opts.release);
  if (opts.run) q.set('run', opts.run);
  if (opts.lines) q.set('n', opts.lines);
  if (opts.follow) q.set('follow', '1');
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `2024-05-01T10:00:00.123Z web.3f2a9c1 | line`; stderr and file lines say so. */
export function formatEntry(e: LogEntry, json: boolean | undefined): string {
  if (json) {
    const { ts, service, container, stream, release, line } = e;
    return JSON.stringify({ ts, service, container, stream, release, line });
  }
  const ts = e.ts.replace(/(\.\d{3})\d*Z$/, '$1Z');
  const who = e.container ? `${e.service}.${shortContainer(e.container, e.service)}` : e.service;
  const mark = e.stream === 'stderr' ? ' [stderr]' : e.stream.startsWith('file:') ? ` [${e.stream.slice(5)}]` : '';
  return `${ts} ${who}${mark} | ${e.line}`;
}

/** `slipway-demo-web-blue-1` → `blue-1`: the part that tells replicas and colors apart. */
export function shortContainer(name: string, service: string): string {
  const at = name.indexOf(`-${service}-`);
  return at >= 0 ? name.slice(at + service.length + 2) : name.slice(0, 12);
}

export function registerLogsCommand(program: Command, client: () => ApiClient): void {
  program
    .command('logs <app>')
    .description("show an app's logs (all services merged by time); -f follows live lines across deploys")
    .option('-f, --follow', 'keep printing new lines as they arrive')
    .option('--service <name>', 'only this service (web, worker, build, deploy, …)')
    .option('--stream <stream>', 'stdout, stderr, file, file:/path, build or deploy')
    .option('--since <time>', 'from this long ago (10m, 2h, 1d) or an ISO time')
    .option('--grep <text>', 'only lines containing TEXT (case-insensitive)')
    .option('-n, --lines <n>', 'how many of the last lines to show', '100')
    .option('--release <version>', 'only lines of this release (v7 or 7)')
    .option('--run <id>', 'only lines of this job run (with --service: of one task)')
    .option('--json', 'one JSON object a line: ts, service, container, stream, release, line')
    .action(async (app: string, opts: LogsOptions) => {
      const api = client();
      const path = `/api/apps/${encodeURIComponent(app)}/logs`;
      if (opts.follow) {
        // One request: the server sends the last N lines, then live ones, with no gap.
        for await (const data of api.events(path + logsQuery(opts))) console.log(formatEntry(JSON.parse(data) as LogEntry, opts.json));
        return;
      }
      for (const e of await api.get<LogEntry[]>(path + logsQuery(opts))) console.log(formatEntry(e, opts.json));
    });
}
