// An app's domains: its default address `APP.<apps domain>` plus the custom names it claims.
// A name belongs to one app (or to Slipway's API); a claimed name routes at once, and the
// certificate side (src/certs) hears of every change.
import { UserError } from '../errors.js';
import type { State } from '../state/index.js';
import { defaultAddressOf, normalizeDomain } from './names.js';

/** What the proxy does for a domain (src/proxy/app-proxy.ts). */
export interface DomainRoutes {
  /** Routes `host` like the app's default address, if the app is routed yet (else its first deploy does). */
  addHost(app: string, host: string): Promise<void>;
  removeHost(host: string): Promise<void>;
}

/** What the certificate side does when an app's names change (src/certs). */
export interface DomainListener {
  added(app: string, domain: string): Promise<void>;
  removed(app: string, domain: string): Promise<void>;
}

export interface DomainView {
  name: string;
  /** The name as typed, when it is an internationalized one. */
  unicode: string;
  /** The app's default address: always there, cannot be removed. */
  default: boolean;
}

export interface DomainServiceDeps {
  state: State;
  appsDomain: string;
  routes: DomainRoutes;
  listener: DomainListener;
}

export class DomainService {
  constructor(private readonly deps: DomainServiceDeps) {}

  defaultAddress(app: string): string {
    return `${app}.${this.deps.appsDomain}`;
  }

  list(app: string): DomainView[] {
    const a = this.deps.state.apps.get(app);
    const view = (name: string, isDefault: boolean): DomainView => ({ name, unicode: normalizeDomain(name).unicode, default: isDefault });
    return [view(this.defaultAddress(app), true), ...this.deps.state.domains.ofApp(a.id).map((n) => view(n, false))];
  }

  /** The app's custom names (what the proxy routes besides the default address). */
  customNames(app: string): string[] {
    const a = this.deps.state.apps.find(app);
    return a ? this.deps.state.domains.ofApp(a.id) : [];
  }

  async add(app: string, input: string): Promise<DomainView> {
    const a = this.deps.state.apps.get(app);
    const { ascii, unicode } = normalizeDomain(input);
    this.refuseTaken(app, ascii);
    const row = this.deps.state.domains.add(ascii, a.id);
    if (row.app !== app) throw conflict(ascii, row.app);
    await this.deps.routes.addHost(app, ascii);
    await this.deps.listener.added(app, ascii);
    return { name: ascii, unicode, default: false };
  }

  async remove(app: string, input: string): Promise<void> {
    const a = this.deps.state.apps.get(app);
    const { ascii } = normalizeDomain(input);
    if (ascii === this.defaultAddress(app)) throw new UserError(`${ascii} is ${app}'s default address; it always routes to the app`, 422);
    const row = this.deps.state.domains.find(ascii);
    if (!row || row.app !== a.name) throw new UserError(`${ascii} is not a domain of ${app} (see: slipway domains ${app})`, 404);
    await this.deps.routes.removeHost(ascii);
    this.deps.state.domains.remove(ascii);
    await this.deps.listener.removed(app, ascii);
  }

  private refuseTaken(app: string, name: string): void {
    const owner = defaultAddressOf(name, this.deps.appsDomain);
    if (owner !== null) {
      if (owner === app) throw new UserError(`${name} is already ${app}'s default address`, 409);
      throw new UserError(
        this.deps.state.apps.find(owner)
          ? `${name} is the default address of app ${owner}`
          : `${name} is reserved: names APP.${this.deps.appsDomain} are apps' default addresses`,
        409,
      );
    }
    const row = this.deps.state.domains.find(name);
    if (row && row.app !== app) throw conflict(name, row.app);
    if (row) throw new UserError(`${name} is already a domain of ${app}`, 409);
  }
}

function conflict(name: string, owner: string | null): UserError {
  return owner === null
    ? new UserError(`${name} is Slipway's own API domain (SLIPWAY_API_DOMAIN)`, 409)
    : new UserError(`${name} already belongs to app ${owner}: remove it there first (slipway domains:remove ${owner} ${name})`, 409);
}

/**
 * Makes `name` Slipway's own API domain (SLIPWAY_API_DOMAIN), dropping an earlier one (returned,
 * to unroute). Refused at start-up when an app holds it: two owners for one name is never right.
 */
export function claimApiDomain(state: State, name: string | undefined): { removed: string[] } {
  const ascii = name === undefined ? undefined : normalizeDomain(name).ascii;
  const holder = ascii === undefined ? undefined : state.domains.find(ascii);
  if (holder && holder.app !== null)
    throw new UserError(`SLIPWAY_API_DOMAIN ${ascii} is a domain of app ${holder.app}: remove it there (slipway domains:remove ${holder.app} ${ascii}) or choose another`);
  const removed = state.domains.system().filter((n) => n !== ascii);
  for (const n of removed) state.domains.remove(n);
  if (ascii !== undefined) state.domains.add(ascii, null);
  return { removed };
}
