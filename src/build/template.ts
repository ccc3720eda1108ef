// Renders a buildpack's Dockerfile.template: `#if`/`#else`/`#endif` line directives and {{web}}.
import { UserError } from '../errors.js';

export interface TemplateFacts {
  /** Names of the files and folders at the root of the revision. */
  files: ReadonlySet<string>;
  /** An extra CA bundle is injected as slipway-ca.crt. */
  ca: boolean;
  /** The web process command (Procfile `web`, or the buildpack's default). */
  web: string | null;
  /** The base image `{{base}}` stands for (the node buildpack's, chosen by engines.node). */
  base?: string;
}

/**
 * Directives, each alone on a line: `#if ca`, `#if file NAME…` (true when any NAME exists at the
 * root), `#if !file NAME…`, `#else`, `#endif`; they nest. `{{web}}` becomes a JSON CMD array,
 * `{{base}}` the base image.
 * Plain `#` comments are kept as Dockerfile comments.
 */
export function renderTemplate(template: string, facts: TemplateFacts, name = 'Dockerfile.template'): string {
  const out: string[] = [];
  // Each frame: is this branch active, and was its parent active.
  const stack: { active: boolean; parent: boolean; seenElse: boolean }[] = [];
  const active = () => stack.every((f) => f.active);
  template.split('\n').forEach((line, i) => {
    const directive = /^#(if|else|endif)\b\s*(.*)$/.exec(line.trim());
    if (!directive) {
      if (active()) out.push(line.replace(/\{\{web\}\}/g, () => JSON.stringify(webCommand(facts.web))).replace(/\{\{base\}\}/g, () => baseImage(facts.base, `${name} line ${i + 1}`)));
      return;
    }
    const [, kind, arg] = directive as unknown as [string, string, string];
    if (kind === 'if') {
      stack.push({ active: condition(arg, facts, `${name} line ${i + 1}`), parent: active(), seenElse: false });
    } else {
      const top = stack[stack.length - 1];
      if (!top) throw new UserError(`${name} line ${i + 1}: #${kind} without #if`);
      if (kind === 'endif') stack.pop();
      else if (top.seenElse) throw new UserError(`${name} line ${i + 1}: second #else`);
      else Object.assign(top, { active: !top.active, seenElse: true });
    }
  });
  if (stack.length > 0) throw new UserError(`${name}: #if without #endif`);
  return out.join('\n');
}

function condition(arg: string, facts: TemplateFacts, where: string): boolean {
  const [word, ...names] = arg.split(/\s+/).filter(Boolean);
  if (word === 'ca') return facts.ca;
  if (word === 'file' || word === '!file') {
    if (names.length === 0) throw new UserError(`${where}: #if ${word} needs at least one file name`);
    const any = names.some((n) => facts.files.has(n));
    return word === 'file' ? any : !any;
  }
  throw new UserError(`${where}: unknown condition ${JSON.stringify(arg)} (use "ca", "file NAME" or "!file NAME")`);
}

/**
 * The image's CMD for a web command: through `sh -c` so `$PORT` expands, as Heroku runs
 * Procfile lines. A simple command is `exec`ed so it is PID 1 and gets SIGTERM on stop;
 * a compound one (`a && b`) can't be, and stays under the shell.
 */
export function webCommand(web: string | null): string[] {
  if (web === null) return ['sh', '-c', 'echo "no web process: add a Procfile with a web: line" >&2; exit 1'];
  const keepAsIs = /[;&|`\n]|\$\(/.test(web) || /^\s*exec\s/.test(web);
  return ['sh', '-c', keepAsIs ? web : `exec ${web}`];
}

/** Image references go into a FROM line: nothing that could end it or add an instruction. */
function baseImage(base: string | undefined, where: string): string {
  if (!base) throw new UserError(`${where}: {{base}} needs a base image (the buildpack's detect.json "base")`);
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/.test(base)) throw new UserError(`${where}: ${JSON.stringify(base)} is not an image reference`);
  return base;
}
