// Port mappings (ports plugin): which app a host port routes to, and to which container port.
import type { PortMapping, PortScheme } from '../ports/mappings.js';
import { type Db, now } from './db.js';

export interface PortRow extends PortMapping {
  app: string;
}

interface Raw {
  app: string;
  host_port: number;
  scheme: PortScheme;
  container_port: number;
  source: PortMapping['source'];
}

const toRow = (r: Raw): PortRow => ({ app: r.app, hostPort: r.host_port, scheme: r.scheme, containerPort: r.container_port, source: r.source });
const SELECT = 'SELECT p.*, a.name AS app FROM port_mappings p JOIN apps a ON a.id = p.app_id';

export class Ports {
  constructor(private readonly db: Db) {}

  forApp(app: string): PortRow[] {
    return (this.db.prepare(`${SELECT} WHERE a.name = ? ORDER BY p.host_port`).all(app) as Raw[]).map(toRow);
  }

  all(): PortRow[] {
    return (this.db.prepare(`${SELECT} ORDER BY p.host_port`).all() as Raw[]).map(toRow);
  }

  /** Who holds a host port, if anyone. */
  holder(hostPort: number): PortRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE p.host_port = ?`).get(hostPort) as Raw | undefined;
    return r && toRow(r);
  }

  /** Adds or replaces mappings and removes host ports, in one transaction. */
  change(appId: number, add: PortMapping[], removeHostPorts: number[]): void {
    this.db.transaction(() => {
      for (const p of removeHostPorts) this.db.prepare('DELETE FROM port_mappings WHERE app_id = ? AND host_port = ?').run(appId, p);
      for (const m of add)
        this.db
          .prepare(
            `INSERT INTO port_mappings (host_port, app_id, scheme, container_port, source, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (host_port) DO UPDATE SET scheme = excluded.scheme, container_port = excluded.container_port, source = excluded.source
             WHERE port_mappings.app_id = excluded.app_id`,
          )
          .run(m.hostPort, appId, m.scheme, m.containerPort, m.source, now());
    })();
  }
}
