// What Slipway reads from a Dockerfile's text: the build ARGs it declares and the images it
// builds from.

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

/**
 * The images a build pulls: each `FROM` and each `COPY --from=` that is not an earlier stage,
 * with `${ARG}` from the ARGs before the first FROM (defaults, then `buildArgs`). A reference
 * that still holds a variable is left out (nothing to check it against).
 */
export function baseImages(dockerfile: string, buildArgs: Record<string, string> = {}): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const out: string[] = [];
  let seenFrom = false;
  const expand = (ref: string) => ref.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a?: string, b?: string) => args[(a ?? b)!] ?? all);
  const use = (raw: string) => {
    const ref = expand(raw);
    if (ref.includes('$') || stages.has(ref.toLowerCase()) || /^\d+$/.test(ref) || ref === 'scratch' || out.includes(ref)) return;
    out.push(ref);
  };
  for (const line of logicalLines(dockerfile)) {
    const arg = /^\s*ARG\s+(.+)$/i.exec(line);
    if (arg && !seenFrom) {
      for (const token of (arg[1] ?? '').trim().split(/\s+/)) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(token);
        if (m) args[m[1]!] = buildArgs[m[1]!] ?? m[2]?.replace(/^(["'])(.*)\1$/, '$2') ?? args[m[1]!] ?? '$';
      }
      continue;
    }
    const from = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      seenFrom = true;
      use(from[1]!);
      if (from[2]) stages.add(from[2].toLowerCase());
      continue;
    }
    const copy = /^\s*COPY\s+.*--from=(\S+)/i.exec(line);
    if (copy) use(copy[1]!);
  }
  return out;
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
