// Chooses a buildpack for a revision without a Dockerfile and renders its Dockerfile.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { renderTemplate } from './template.js';

/** `buildpacks/` at the repository root (from src/build or dist/build alike). */
export const DEFAULT_BUILDPACKS_DIR = fileURLToPath(new URL('../../buildpacks/', import.meta.url));

/** A buildpack folder's detect.json. */
export interface BuildpackSpec {
  name: string;
  /** Lower runs first. */
  order: number;
  /** Alternatives; one matches when all of its patterns match a root entry (`*` globs). */
  detect: string[][];
  /** Web command when the Procfile has no `web`. */
  web?: string;
  /** Default base image for `{{base}}`. */
  base?: string;
  /** `node`: the build stage picks the base image from package.json's engines.node. */
  runtime?: 'node';
}

export interface Buildpack {
  name: string;
  dockerfile: string;
  /** Support files to put in the build context: context path → file on disk. */
  files: Record<string, string>;
}

/** Where a buildpack's support files (buildpacks/NAME/files/*) land in the build context. */
export const SUPPORT_DIR = 'slipway-buildpack';

/** Reads every buildpacks/NAME/detect.json, in detection order. */
export function loadBuildpacks(buildpacksDir: string): BuildpackSpec[] {
  const specs = readdirSync(buildpacksDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const file = path.join(buildpacksDir, d.name, 'detect.json');
      const doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<BuildpackSpec>;
      if (typeof doc.order !== 'number' || !Array.isArray(doc.detect)) {
        throw new Error(`${file}: needs "order" (number) and "detect" (list of lists of file patterns)`);
      }
      return {
        name: d.name,
        order: doc.order,
        detect: doc.detect,
        ...(doc.web ? { web: doc.web } : {}),
        ...(doc.base ? { base: doc.base } : {}),
        ...(doc.runtime ? { runtime: doc.runtime } : {}),
      };
    });
  return specs.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

/** The first buildpack whose detect rules match the root entries, or null. */
export function matchBuildpack(rootEntries: Iterable<string>, specs: BuildpackSpec[]): BuildpackSpec | null {
  const entries = [...rootEntries];
  const has = (pattern: string) => {
    const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[^/]*')}$`);
    return entries.some((e) => re.test(e));
  };
  return specs.find((s) => s.detect.some((all) => all.length > 0 && all.every(has))) ?? null;
}

/** "node (package.json), python (requirements.txt, Procfile + *.py)" for the no-match message. */
export function describeBuildpacks(specs: BuildpackSpec[]): string {
  return specs.map((s) => `${s.name} (${s.detect.map((all) => all.join(' + ')).join(', ')})`).join(', ');
}

export interface DetectOptions {
  /** Procfile process types; `web` becomes the image's default command. */
  processes?: Record<string, string>;
  /** Whether slipway-ca.crt is in the context. */
  ca?: boolean;
  /** Dockerfile path that was looked for, for the message. */
  dockerfilePath?: string;
  /** Base image for `{{base}}`, over the buildpack's default. */
  base?: string;
}

/** The buildpack for `dir`, or a UserError saying everything it looked for. */
export function chooseBuildpack(dir: string, buildpacksDir: string, dockerfilePath = 'Dockerfile'): BuildpackSpec {
  const specs = loadBuildpacks(buildpacksDir);
  const spec = matchBuildpack(readdirSync(dir), specs);
  if (!spec) {
    throw new UserError(`no Dockerfile at ${dockerfilePath}, and no buildpack matched: ${describeBuildpacks(specs)}. Add a Dockerfile, or one of those files.`);
  }
  return spec;
}

/** Picks the buildpack for `dir` and renders its Dockerfile, or says everything it looked for. */
export function detectBuildpack(dir: string, buildpacksDir: string, opts: DetectOptions = {}): Buildpack {
  const spec = chooseBuildpack(dir, buildpacksDir, opts.dockerfilePath);
  const entries = readdirSync(dir);
  const processes = opts.processes ?? {};
  const web = processes.web ?? spec.web ?? Object.values(processes)[0] ?? null;
  const folder = path.join(buildpacksDir, spec.name);
  const template = readFileSync(path.join(folder, 'Dockerfile.template'), 'utf8');
  const base = opts.base ?? spec.base;
  const facts = { files: new Set(entries), ca: opts.ca ?? false, web, ...(base ? { base } : {}) };
  const dockerfile = renderTemplate(template, facts, `buildpacks/${spec.name}/Dockerfile.template`);
  return { name: spec.name, dockerfile, files: supportFiles(path.join(folder, 'files')) };
}

function supportFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return files;
  }
  for (const n of names) {
    const file = path.join(dir, n);
    if (statSync(file).isFile()) files[`${SUPPORT_DIR}/${n}`] = file;
  }
  return files;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
