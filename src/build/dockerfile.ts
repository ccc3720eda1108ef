// What Slipway reads from a Dockerfile's text: the build ARGs it declares.

/**
 * Names declared by ARG instructions (`ARG A`, `ARG B=1`, several per line), case-insensitive
 * instruction, `\` continuations joined. Only these get app config as build args, so Docker
 * never sees an unused build-arg.
 */
export function declaredArgs(dockerfile: string): Set<string> {
  const names = new Set<string>();
  for (const line of logicalLines(dockerfile)) {
    const m = /^\s*ARG\s+(.+)$/i.exec(line);
    if (!m) continue;
    for (const token of (m[1] ?? '').trim().split(/\s+/)) {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)(=|$)/.exec(token)?.[1];
      if (name) names.add(name);
    }
  }
  return names;
}

function logicalLines(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    if (current === '' && /^\s*#/.test(raw)) continue;
    const cont = /\\\s*$/.test(raw);
    current += cont ? raw.replace(/\\\s*$/, ' ') : raw;
    if (!cont) {
      out.push(current);
      current = '';
    }
  }
  if (current) out.push(current);
  return out;
}
