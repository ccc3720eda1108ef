// The ports plugin's operations: list, add, remove an app's host ports, and map a Dockerfile's
// EXPOSEd ports when the operator enables it. Each change is checked (a host port belongs to one
// app, never Slipway's own, and must be free on this machine), stored, then applied to HAProxy
// at once — on the serving color when the app runs, blue-green with every later deploy.
import net from 'node:net';
import type { Color, Progress, Release } from '../domain.js';
import { mainWebService } from '../proxy/app-proxy.js';
import { UserError } from '../errors.js';
import type { AppRow } from '../state/apps.js';
import type { State } from '../state/index.js';
import { exposedMappings, formatMapping, parseExposed, parseMapping, type PortMapping } from './mappings.js';

/** What the service drives on the proxy (src/proxy/app-ports.ts). */
export interface PortRoutes {
  declare(app: string): Promise<void>;
  serve(app: string, color: Color, addrs: string[]): Promise<void>;
  remove(hostPorts: number[]): Promise<void>;
}

export interface PortsDeps {
  state: State;
  routes: PortRoutes;
  /** The serving color and container addresses of the app's main web service, if it runs. */
  serving(app: string): Promise<{ color: Color; addrs: string[] } | null>;
  /** Host ports Slipway itself uses, with what uses them. */
  reserved: Map<number, string>;
  /** Whether nothing on this machine listens on the port yet. */
  portFree?(port: number): Promise<boolean>;
}

export class AppPorts {
  constructor(private readonly deps: PortsDeps) {}

  list(app: string): PortMapping[] {
    return this.deps.state.ports.forApp(app).map(({ app: _a, ...m }) => m);
  }

  /** Adds `http:8080:3000`-style mappings; a refused one changes nothing. */
  async add(app: AppRow, specs: string[]): Promise<PortMapping[]> {
    if (!specs.length) throw new UserError('nothing to add: give SCHEME:HOST-PORT:CONTAINER-PORT, e.g. http:8080:3000', 422);
    const wanted = specs.map((s) => ({ ...parseMapping(s), source: 'user' as const }));
    const seen = new Set<number>();
    for (const m of wanted) {
      if (seen.has(m.hostPort)) throw new UserError(`host port ${m.hostPort} is given twice`, 422);
      seen.add(m.hostPort);
      const problem = await this.conflict(app.name, m.hostPort);
      if (problem) throw new UserError(`${formatMapping(m)}: ${problem}`, 409);
    }
    const before = this.list(app.name).filter((m) => seen.has(m.hostPort));
    this.deps.state.ports.change(app.id, wanted, []);
    try {
      await this.apply(app.name);
    } catch (e) {
      // HAProxy refused: what is stored must say what it serves.
      this.deps.state.ports.change(app.id, before, [...seen].filter((p) => !before.some((m) => m.hostPort === p)));
      throw e;
    }
    return this.list(app.name);
  }

  /** Removes mappings by host port (`8080`) or as written (`http:8080:3000`). */
  async remove(app: AppRow, items: string[]): Promise<PortMapping[]> {
    const mine = this.list(app.name);
    const ports = items.map((item) => {
      const hostPort = /^\d+$/.test(item.trim()) ? Number(item) : parseMapping(item).hostPort;
      if (!mine.some((m) => m.hostPort === hostPort)) throw new UserError(`${app.name} has no mapping on host port ${hostPort} (see: slipway ports ${app.name})`, 404);
      return hostPort;
    });
    this.deps.state.ports.change(app.id, [], ports);
    await this.deps.routes.remove(ports);
    return this.list(app.name);
  }

  /**
   * SLIPWAY_EXPOSE_PORTS: the image's EXPOSEd TCP ports become `tcp:P:P` (UDP ones are listed
   * and skipped); mappings an earlier EXPOSE made and this one lacks go. A port another app or
   * program holds is skipped with a warning: the deploy goes on without it.
   */
  async syncExposed(app: AppRow, exposed: string[], progress: Progress): Promise<void> {
    const { wanted, warnings } = exposedMappings(parseExposed(exposed));
    for (const w of warnings) progress(` !     ${w}`);
    const current = this.list(app.name);
    const keep: PortMapping[] = [];
    for (const m of wanted) {
      const own = current.find((c) => c.hostPort === m.hostPort);
      if (own?.source === 'user') continue; // the user's mapping of that port wins
      const problem = own ? null : await this.conflict(app.name, m.hostPort);
      if (problem) progress(` !     EXPOSE ${m.hostPort}: not mapped — ${problem}`);
      else keep.push(m);
    }
    const stale = current.filter((c) => c.source === 'expose' && !keep.some((k) => k.hostPort === c.hostPort)).map((c) => c.hostPort);
    this.deps.state.ports.change(app.id, keep, stale);
    await this.deps.routes.remove(stale);
    if (keep.length) progress(`-----> Ports from EXPOSE (SLIPWAY_EXPOSE_PORTS): ${keep.map(formatMapping).join(', ')}`);
  }

  /** Why `hostPort` cannot be `app`'s, or null. */
  private async conflict(app: string, hostPort: number): Promise<string | null> {
    const reserved = this.deps.reserved.get(hostPort);
    if (reserved) return `host port ${hostPort} is ${reserved}`;
    const holder = this.deps.state.ports.holder(hostPort);
    if (holder && holder.app !== app) return `host port ${hostPort} is held by app ${holder.app} (${formatMapping(holder)}); remove it there first or pick another port`;
    if (holder) return null; // already ours: HAProxy listens on it
    if (!(await (this.deps.portFree ?? portFree)(hostPort))) return `host port ${hostPort} is in use by another program on this machine`;
    return null;
  }

  private async apply(app: string): Promise<void> {
    await this.deps.routes.declare(app);
    const serving = await this.deps.serving(app);
    if (serving) await this.deps.routes.serve(app, serving.color, serving.addrs);
  }
}

/** Tries to listen on the port (all interfaces, as HAProxy binds): free if that works. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The main web service's serving color and addresses, from the active release's containers. */
export function servingOf(
  release: Pick<Release, 'version' | 'services'> | undefined,
  containers: { service: string; release: number; color: Color | null; ip: string }[],
): { color: Color; addrs: string[] } | null {
  if (!release) return null;
  const main = mainWebService(release.services.filter((s) => s.role === 'web').map((s) => ({ service: s.name })));
  const mine = containers.filter((c) => c.release === release.version && c.service === main && c.color && c.ip);
  const color = mine[0]?.color;
  return color ? { color, addrs: mine.filter((c) => c.color === color).map((c) => c.ip) } : null;
}
