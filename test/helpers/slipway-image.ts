// Slipway's own image for the swarm tests (the node agents and the edge run it): the code of
// this checkout on node:18-slim, run from source with tsx — the same code the server runs,
// without the root Dockerfile's `npm ci` (no registry access in tests). Pushed to the local
// registry under a tag that is a hash of the code, so an unchanged checkout reuses it.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tarFs from 'tar-fs';
import type Dockerode from 'dockerode';
import { buildImage } from '../../src/docker/build.js';
import { pushImage } from '../../src/docker/images.js';
import { tagDigest } from '../../src/registry/api.js';
import { ROOT } from './server.js';

const CODE = ['package.json', 'tsconfig.json', 'bin', 'src', 'templates', 'buildpacks', 'schemas'];
/** Not needed at run time by the agent (type-checking, native SQLite built for the host's Node, tooling). */
const SKIP_MODULES = new Set(['typescript', 'better-sqlite3', '@types', '@babel', 'madge', '@typescript-eslint']);

/** Two layers, so a code change rebuilds only the small one: the modules (by lock file), the code. */
const BASE_DOCKERFILE = `FROM node:18-slim
WORKDIR /opt/slipway
COPY . .
`;
const dockerfile = (base: string) => `FROM ${base}
COPY . /opt/slipway/
ENTRYPOINT ["node", "--import", "tsx", "/opt/slipway/src/cli/main.ts"]
CMD ["server"]
`;

function hashTree(h: ReturnType<typeof createHash>, p: string): void {
  const s = statSync(p);
  if (s.isDirectory()) for (const e of readdirSync(p).sort()) hashTree(h, path.join(p, e));
  else h.update(path.relative(ROOT, p)).update(readFileSync(p));
}

/** Builds `repo:tag` from the files `keep` selects under ROOT, and pushes it, unless the registry has it. */
async function ensureImage(docker: Dockerode, registry: string, name: string, tag: string, text: string, keep: (rel: string) => boolean): Promise<string> {
  const ref = `${registry}/${name}:${tag}`;
  if (await tagDigest(registry, name, tag)) return ref;
  const pack = tarFs.pack(ROOT, {
    ignore: (file) => {
      const rel = path.relative(ROOT, file);
      return rel !== '' && !keep(rel);
    },
    finalize: false,
    finish: (p) => {
      p.entry({ name: 'Dockerfile' }, text);
      p.finalize();
    },
  });
  for await (const m of buildImage(docker, pack as unknown as Readable, { tag: ref, dockerfile: 'Dockerfile', labels: {}, buildargs: {}, cachefrom: [] }))
    if (m.error) throw new Error(`building ${ref}: ${m.error}`);
  await pushImage(docker, `${registry}/${name}`, tag);
  return ref;
}

/** `127.0.0.1:5000/slipway-test:<hash>`, built and pushed if the registry lacks it. */
export async function slipwayTestImage(docker: Dockerode, registry = '127.0.0.1:5000'): Promise<string> {
  const lock = createHash('sha256').update(BASE_DOCKERFILE).update(readFileSync(path.join(ROOT, 'package-lock.json'))).digest('hex').slice(0, 16);
  const base = await ensureImage(docker, registry, 'slipway-test-modules', lock, BASE_DOCKERFILE, (rel) => {
    const [top, mod = ''] = rel.split(path.sep);
    return top === 'node_modules' && !SKIP_MODULES.has(mod) && !rel.includes(`${path.sep}.cache`);
  });
  const h = createHash('sha256').update(dockerfile(base));
  for (const p of CODE) hashTree(h, path.join(ROOT, p));
  return ensureImage(docker, registry, 'slipway-test', h.digest('hex').slice(0, 16), dockerfile(base), (rel) => CODE.includes(rel.split(path.sep)[0]!));
}
