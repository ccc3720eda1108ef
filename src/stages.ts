// The pipeline's stages as the queue runs them (PipelineStages in src/queue/pipeline.ts), each
// wired to its stage's module: source (upload or fetch), build + registry, deploy. Part of the
// composition root: the queue stage never imports the others; this file hands them to it.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { Config } from './config.js';
import { withinStep } from './deadline.js';
import { UserError } from './errors.js';
import { buildRevision, type BuildOptions } from './build/build.js';
import { readRepoFile } from './build/repo-files.js';
import { extractUpload } from './build/upload.js';
import { rollout, type RolloutPorts } from './deploy/rollout.js';
import { pinServiceImages, releaseCommand, servicesFor } from './deploy/services.js';
import type { PipelineStages } from './queue/pipeline.js';
import type { AppRow } from './state/apps.js';
import type { Progress } from './domain.js';
import { pinImage, pushRelease } from './registry/push.js';
import { fetchRevision } from './source/fetch.js';
import { openCredential } from './source/secrets.js';

export interface StagesDeps {
  config: Config;
  docker: Dockerode;
  /** The engine's rollout ports now (one host, or a swarm after cluster:init). */
  ports: () => RolloutPorts;
  /** Which engine runs the app's services: compose checks what it supports. */
  engine?: () => 'single' | 'swarm';
  /** Where remote repositories are mirrored (dataPaths(config).mirrors). */
  mirrorsDir: string;
  secretKey: Buffer;
  /** The app's config vars now. */
  appConfig(appId: number): Record<string, string>;
  /** The commit of the release serving now, if any. */
  servingSha(appId: number): string | null;
  /** Called when a release has gone live, after the pipeline has recorded it. */
  onLive?: () => void;
  /** Refuses base images that are not what was seeded (see src/build/base-images.ts). */
  checkBaseImages?: BuildOptions['checkBaseImages'];
  /** Runs a registry push (the registry's garbage collection waits for it). */
  duringPush?: <T>(push: () => Promise<T>) => Promise<T>;
  /** What the registry holds, for the message when a FROM image cannot be pulled. */
  baseImages?: BuildOptions['baseImages'];
  /** A Dockerfile app's EXPOSEd ports, once its image is pushed (the ports plugin maps them). */
  exposed?: (app: AppRow, exposed: string[], out: Progress) => Promise<void>;
}

export function pipelineStages(deps: StagesDeps): PipelineStages {
  const { config, docker, ports } = deps;
  const composeRules = {
    allowHostBinds: config.allowHostBinds,
    allowPrivileged: config.allowPrivileged,
    get engine() {
      return deps.engine?.();
    },
  };
  return {
    async revision(d, app, out, signal) {
      if (d.trigger === 'webhook') {
        if (!app.repoUrl) throw new UserError(`${app.name} is not connected to a repository`);
        return fetchRevision({
          mirrorsDir: deps.mirrorsDir,
          app: app.name,
          repoUrl: app.repoUrl,
          branch: app.repoBranch ?? 'main',
          sha: d.sha ?? undefined,
          // A webhook names a commit; an old one (replayed, or overtaken) must not go live.
          current: { servingSha: deps.servingSha(app.id) },
          credential: app.repoCredential ? openCredential(deps.secretKey, app.name, app.repoCredential) : undefined,
          progress: out,
          allowFile: config.allowFileRepos,
          signal,
        });
      }
      // The upload stays until the deployment's outcome is final (a retry starts from it again).
      const upload = String(d.params.upload ?? '');
      const dir = mkdtempSync(path.join(config.dataDir, 'src-'));
      try {
        await extractUpload(createReadStream(upload), dir);
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      return { app: app.name, sha: d.sha ?? 'upload', ref: d.ref ?? 'upload', dir };
    },

    async buildAndPush(rev, app, version, out, signal) {
      const appConfig = deps.appConfig(app.id);
      // What the compose file reads from the repo is kept with the release (see servicesUnder).
      const files: Record<string, string> = {};
      const rules = {
        ...composeRules,
        readFile: (rel: string) => {
          const text = readRepoFile(rev.dir, rel, 'env file');
          if (text !== null) files[rel] = text;
          return text;
        },
      };
      const built = await withinStep(signal, 'the build', config.buildTimeoutSeconds, 'SLIPWAY_BUILD_TIMEOUT', (buildSignal) =>
        buildRevision(rev, {
          docker,
          config,
          appConfig,
          dockerfilePath: app.dockerfilePath,
          release: version,
          progress: out,
          signal: buildSignal,
          // The image's EXPOSE is not known yet; it only picks a port, it can't make a file invalid.
          check: (inputs) => void servicesFor({ ...inputs, exposedPort: null }, appConfig, rules),
          ...(deps.checkBaseImages ? { checkBaseImages: deps.checkBaseImages } : {}),
          ...(deps.baseImages ? { baseImages: deps.baseImages } : {}),
        }),
      );
      const push = () => pushRelease(docker, built, { registry: config.registry, version, progress: out, signal });
      const image = await (deps.duringPush ? deps.duringPush(push) : push());
      if (built.buildpack === null) await deps.exposed?.(app, built.exposed ?? [], out);
      // Compose services that name an image run it by digest, pinned now (a tag can be moved).
      const services = await pinServiceImages(servicesFor(built, appConfig, { ...rules, warn: (l) => out(` !     ${l}`) }), [], (image) => pinImage(docker, image, out, signal));
      if (!services.some((s) => s.role === 'web')) out(' !     no web process: workers run, no route (add a `web` process to serve HTTP)');
      const serviceSource = built.compose ? { compose: built.compose, files, exposedPort: built.exposedPort, appJson: built.appJson } : null;
      return { image, services, appJson: built.appJson, releaseCommand: releaseCommand(built.processes), serviceSource };
    },

    servicesUnder(source, appConfig, out, previous) {
      const inputs = { processes: {}, appJson: source.appJson, compose: source.compose, exposedPort: source.exposedPort };
      const services = servicesFor(inputs, appConfig, { ...composeRules, readFile: (rel) => source.files[rel] ?? null, warn: (l) => out(` !     ${l}`) });
      return pinServiceImages(services, previous, (image) => pinImage(docker, image, out));
    },

    rollout: (release, previous, out, live, options) =>
      rollout(
        release,
        previous,
        ports(),
        out,
        () => {
          live();
          deps.onLive?.();
        },
        options,
      ),
  };
}
