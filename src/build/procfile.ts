// Parses a Procfile as Dokku's procfile-util does with --strict: `name: command` per line,
// `#`/`//` comments, names that are DNS labels (they name containers and backends).
import { UserError } from '../errors.js';

/** Any name Heroku's parser accepts; strict mode then narrows it to a DNS label. */
const LINE = /^([A-Za-z0-9_-]+):\s*(.*)$/;
export const PROCESS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const PROCESS_NAME_RULE = 'lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';
/** A trailing comment needs whitespace before its `#` or `//`, else it is part of the command. */
const TRAILING_COMMENT = [/^(.*)\s#.+$/, /^(.*)\s\/\/.+$/];

/**
 * procfile-util's strict format: blank lines and lines starting with `#` or `//` are skipped;
 * every other line is `name: command`. A bad line, a bad name, an empty command, a repeated
 * name or a file without any process type is a UserError naming the line — a silently skipped
 * `web` line would deploy an app that never gets traffic.
 */
export function parseProcfile(text: string): Record<string, string> {
  const processes: Record<string, string> = {};
  const lineOf = new Map<string, number>();
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('//')) return;
      const where = `Procfile line ${i + 1}`;
      const m = LINE.exec(line);
      if (!m) throw new UserError(`${where}: expected "name: command", got ${JSON.stringify(line)}`);
      const [, name, rest] = m as unknown as [string, string, string];
      if (!PROCESS_NAME.test(name) || name.length > 63)
        throw new UserError(`${where}: process type "${name}" is not a valid name: use ${PROCESS_NAME_RULE} (e.g. "web", "worker", "release")`);
      const first = lineOf.get(name);
      if (first !== undefined) throw new UserError(`${where}: process type "${name}" is declared twice (first on line ${first})`);
      const command = stripComment(rest);
      if (command.startsWith('#') || command.startsWith('//')) throw new UserError(`${where}: process type "${name}" has a comment where its command should be`);
      if (command === '') throw new UserError(`${where}: process type "${name}" has no command`);
      processes[name] = command;
      lineOf.set(name, i + 1);
    });
  if (lineOf.size === 0) throw new UserError('Procfile declares no process type: add a line such as "web: npm start", or remove the file');
  return processes;
}

function stripComment(command: string): string {
  for (const re of TRAILING_COMMENT) {
    const m = re.exec(command);
    if (m) return (m[1] as string).trim();
  }
  return command.trim();
}
