// Parses a Heroku Procfile (`name: command` per line) into process types.
import { UserError } from '../errors.js';

const LINE = /^([a-zA-Z0-9_-]+)[ \t]*:[ \t]*(.*)$/;

/**
 * Heroku's format: one `name: command` per line; blank lines and `#` comments are skipped.
 * A bad line, an empty command or a repeated name is a UserError naming the line, since a
 * silently skipped `web` line would deploy an app that never gets traffic.
 */
export function parseProcfile(text: string): Record<string, string> {
  const processes: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `Procfile line ${i + 1}`;
    const m = LINE.exec(line);
    if (!m) {
      throw new UserError(
        `${where}: expected "name: command" (names are letters, digits, "_" and "-"), got ${JSON.stringify(line)}`,
      );
    }
    const [, name, command] = m as unknown as [string, string, string];
    if (command.trim() === '') throw new UserError(`${where}: process type "${name}" has no command`);
    if (Object.hasOwn(processes, name)) throw new UserError(`${where}: process type "${name}" is declared twice`);
    processes[name] = command.trim();
  });
  return processes;
}
