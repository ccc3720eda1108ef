// A ServiceSpec with the defaults a Procfile `web` gets, for unit tests to vary one field at a time.
import type { ServiceSpec } from '../../src/domain.js';

export function serviceSpec(over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'web',
    role: 'web',
    environment: {},
    port: 3000,
    replicas: 1,
    health: { kind: 'port' },
    volumes: [],
    dependsOn: [],
    restart: 'unless-stopped',
    labels: {},
    stopGraceSeconds: 10,
    logFiles: [],
    ...over,
  };
}
