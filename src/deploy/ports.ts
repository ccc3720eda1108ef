// Adapts the Docker adapters, the health wait and the app proxy to the rollout's ports, so the
// rollout and reconciliation stay free of dockerode and HAProxy details.
import type Dockerode from 'dockerode';
import type { Config } from '../config.js';
import type { Release, ServiceSpec } from '../domain.js';
import type { Containers } from '../docker/containers.js';
import type { Networks } from '../docker/networks.js';
import { pullImage } from '../registry/push.js';
import { appNetworkName, containerCreateOptions, oneOffCreateOptions, volumeName } from './container-spec.js';
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

const runInfo = (r: Release) => ({ version: r.version, imageRef: r.image.ref, config: r.config });

export function dockerRolloutPorts(deps: PortsDeps): RolloutPorts & ResizePorts {
  const { containers, networks, config } = deps;
  return {
    drainSeconds: config.drainSeconds,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    proxy: deps.proxy,

    async prepare(release) {
      await networks.ensureNetwork(appNetworkName(release.app), { 'slipway.app': release.app });
      for (const s of release.services)
        for (const v of s.volumes.filter((v) => !v.bind))
          await networks.ensureVolume(volumeName(release.app, v.source), { 'slipway.app': release.app });
      // Rollback or a fresh host: the image may only be in the registry.
      await pullImage(deps.docker, release.image);
    },

    async start(release, service, color, index) {
      const spec = containerCreateOptions({ app: release.app, release: runInfo(release), service, color, index });
      const c = await containers.runContainer(spec);
      return { id: c.id, name: c.name, ip: c.ip, service: service.name, release: release.version, color };
    },

    waitHealthy(c: RunningContainer, service: ServiceSpec, progress) {
      return waitHealthy({ id: c.id, ip: c.ip, port: service.port, name: c.name }, service.health, containers, {
        timeoutSeconds: config.healthTimeoutSeconds,
        progress,
      });
    },

    async runOneOff(release, kind, command, progress) {
      const spec = oneOffCreateOptions({ app: release.app, release: runInfo(release), command, kind });
      return (await containers.runOneOff(spec, progress)).exitCode;
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
