// Port mappings as Dokku's ports plugin writes them (`http:8080:3000`, `tcp:5432:5432`): a host
// port HAProxy listens on, routed to a container port of the app's main web service. Pure:
// parsing, the checks that need no I/O, and what a Dockerfile's EXPOSE asks for.
import { UserError } from '../errors.js';

/** http: Host-agnostic HTTP with HAProxy's HTTP handling; tcp: bytes through, any protocol. */
export type PortScheme = 'http' | 'tcp';

export interface PortMapping {
  scheme: PortScheme;
  hostPort: number;
  containerPort: number;
  /** `user`: ports:add; `expose`: the image's EXPOSE, mapped when SLIPWAY_EXPOSE_PORTS is on. */
  source: 'user' | 'expose';
}

export const formatMapping = (m: Pick<PortMapping, 'scheme' | 'hostPort' | 'containerPort'>) => `${m.scheme}:${m.hostPort}:${m.containerPort}`;

/** `http:8080:3000` → a mapping; anything else is a UserError saying what is expected. */
export function parseMapping(spec: string): Omit<PortMapping, 'source'> {
  const m = /^([a-z]+):(\d{1,5}):(\d{1,5})$/.exec(spec.trim());
  if (!m) throw new UserError(`bad port mapping ${JSON.stringify(spec)}: expected SCHEME:HOST-PORT:CONTAINER-PORT, e.g. http:8080:3000 or tcp:5432:5432`, 422);
  const [, scheme, host, container] = m as unknown as [string, string, string, string];
  if (scheme === 'udp') throw new UserError(`${spec}: udp is not supported (HAProxy proxies TCP only)`, 422);
  if (scheme === 'https') throw new UserError(`${spec}: https mappings are not supported; map http or tcp, and serve HTTPS on the app's domain`, 422);
  if (scheme !== 'http' && scheme !== 'tcp') throw new UserError(`${spec}: unknown scheme ${JSON.stringify(scheme)} (use http or tcp)`, 422);
  const hostPort = port(Number(host), spec, 'host');
  const containerPort = port(Number(container), spec, 'container');
  return { scheme, hostPort, containerPort };
}

function port(n: number, spec: string, which: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError(`${spec}: the ${which} port must be 1–65535`, 422);
  return n;
}

/** A port of an image's EXPOSE, as the engine reports it (`5432/tcp`, `53/udp`). */
export interface ExposedPort {
  port: number;
  protocol: string;
}

export function parseExposed(keys: string[]): ExposedPort[] {
  return keys
    .map((k) => {
      const [p, proto] = k.split('/');
      return { port: Number(p), protocol: (proto ?? 'tcp').toLowerCase() };
    })
    .filter((e) => Number.isInteger(e.port) && e.port > 0 && e.port < 65536)
    .sort((a, b) => a.port - b.port);
}

/**
 * SLIPWAY_EXPOSE_PORTS: each EXPOSEd TCP port becomes `tcp:P:P`; UDP ports are skipped with a
 * warning. Returns the mappings wanted and the warnings to show.
 */
export function exposedMappings(exposed: ExposedPort[]): { wanted: PortMapping[]; warnings: string[] } {
  const wanted: PortMapping[] = [];
  const warnings: string[] = [];
  for (const e of exposed) {
    if (e.protocol === 'tcp') wanted.push({ scheme: 'tcp', hostPort: e.port, containerPort: e.port, source: 'expose' });
    else warnings.push(`EXPOSE ${e.port}/${e.protocol}: skipped — only TCP ports can be mapped (HAProxy proxies TCP)`);
  }
  return { wanted, warnings };
}
