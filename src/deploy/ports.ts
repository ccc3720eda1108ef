// Adapts the Docker adapters, the health wait and the app proxy to the rollout's ports, so the
// rollout and reconciliation stay free of dockerode and HAProxy details.
import type Dockerode from 'dockerode';
import type { Config } from '../config.js';
import { withinStep } from '../deadline.js';
import { LABELS, isPinnedImage, type Release, type ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';
import type { Containers } from '../docker/containers.js';
import type { Networks } from '../docker/networks.js';
import { pullImage } from '../registry/push.js';
import { appNetworkName, containerCreateOptions, legacyVolumeName, oneOffCreateOptions, volumeName } from './container-spec.js';
import { waitHealthy } from './health.js';
import type { ResizePorts } from './resize.js';
import type { RolloutPorts, RunningContainer } from './rollout.js';

export interface PortsDeps {
  docker: Dockerode;
  containers: Containers;
  networks: Networks;
  proxy: RolloutPorts['proxy'] & ResizePorts['proxy'];
  config: Config;
}

/** What a container needs of its release; the image strictly by digest (a tag can be moved). */
function runInfo(r: Release) {
  if (!isPinnedImage(r.image.ref)) throw new UserError(`release v${r.version} of ${r.app} names its image ${r.image.ref}, not by digest; Slipway runs releases by digest only (deploy the app again)`);
  return { version: r.version, imageRef: r.image.ref, config: r.config };
}

export function dockerRolloutPorts(deps: PortsDeps): RolloutPorts & ResizePorts {
  const { containers, networks, config } = deps;

  /** The Docker volume of an app's named volume: its own `slipway_APP_NAME`, or the one it had
   *  before those names (kept, with its data) when that is labelled as this app's. */
  async function appVolume(app: string, source: string): Promise<string> {
    const name = volumeName(app, source);
    if ((await networks.volumeApp(name)) !== undefined) return name;
    const legacy = legacyVolumeName(app, source);
    return (await networks.volumeApp(legacy)) === app ? legacy : name;
  }

  return {
    drainSeconds: config.drainSeconds,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    proxy: deps.proxy,

    async prepare(release, signal) {
      await networks.ensureNetwork(appNetworkName(release.app), { [LABELS.app]: release.app });
      for (const s of release.services)
        for (const v of s.volumes.filter((v) => !v.bind)) await networks.ensureVolume(await appVolume(release.app, v.source), { [LABELS.app]: release.app });
      // Rollback or a fresh host: the image may only be in the registry.
      await pullImage(deps.docker, release.image, undefined, signal);
    },

    async start(release, service, color, index) {
      const named = service.volumes.filter((v) => !v.bind);
      const volumeNames = Object.fromEntries(await Promise.all(named.map(async (v) => [v.source, await appVolume(release.app, v.source)])));
      const spec = containerCreateOptions({ app: release.app, release: runInfo(release), service, color, index, volumeNames });
      const c = await containers.runContainer(spec);
      return { id: c.id, name: c.name, ip: c.ip, service: service.name, release: release.version, color };
    },

    waitHealthy(c: RunningContainer, service: ServiceSpec, progress, signal) {
      return waitHealthy({ id: c.id, ip: c.ip, port: service.port, name: c.name }, service.health, containers, {
        timeoutSeconds: config.healthTimeoutSeconds,
        settleSeconds: config.settleSeconds,
        limit: { seconds: config.healthMaxSeconds, setting: 'SLIPWAY_HEALTH_MAX' },
        progress,
        ...(signal ? { signal } : {}),
      });
    },

    async runOneOff(release, kind, command, progress, signal) {
      const spec = oneOffCreateOptions({ app: release.app, release: runInfo(release), command, kind });
      const step = `the ${kind} command`;
      return withinStep(signal, step, config.releaseTimeoutSeconds, 'SLIPWAY_RELEASE_TIMEOUT', async (s) => (await containers.runOneOff(spec, progress, s)).exitCode);
    },

    async list(app) {
      const all = await containers.listContainers({ app, all: true });
      return all
        .filter((c) => c.service && (c.kind === 'web' || c.kind === 'worker'))
        .map((c) => ({ id: c.id, name: c.name, ip: c.ip ?? '', service: c.service!, release: c.release, color: c.color }));
    },

    async remove(c, graceSeconds) {
      await containers.stopContainer(c.id, graceSeconds);
      await containers.removeContainer(c.id);
    },
  };
}
