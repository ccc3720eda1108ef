// The HAProxy adapter: declares backends (reloading only when their shape changes), routes
// hosts through the map file, and moves slots between ready/drain/maint over the Runtime API.
//
// Runtime changes are lost on a reload, so the adapter keeps the desired state of every slot
// and bakes it into each config it writes: ready slots are declared enabled at their address,
// the rest `disabled`. A reloaded worker therefore serves the same servers from its first
// request — no window where a re-applied state is still missing. (A draining slot is written
// as disabled: the new worker has no requests in flight, so drain and maint mean the same.)
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { otherColor } from '../domain.js';
import type { Logger } from '../log.js';
import {
  addMapCommand,
  applyPlan,
  delMapCommand,
  emptySlots,
  isNotFound,
  parseColorLoad,
  parseMapFile,
  parseServersState,
  parseShowMap,
  planColor,
  planDisable,
  planDrain,
  planDrainServers,
  renderMapFile,
  servingSlots,
  setMapCommand,
  showMapCommand,
  showServerStatsCommand,
  showServersStateCommand,
  switchCommands,
  type BackendSlots,
  type SlotStatus,
  type SwitchPlan,
} from './commands.js';
import {
  checkBackendName,
  checkHost,
  checkPort,
  renderHaproxyConfig,
  type BackendSpec,
  type ClusterProxyInput,
  type Color,
  type HaproxyConfigInput,
  type ListenerSpec,
  type Server,
} from './haproxy-config.js';
import { HaproxyProcess, haproxyPaths, type HaproxyPaths } from './haproxy-process.js';
import { runCommand, sendCommand } from './runtime-api.js';
import { parseBackendStats, parseSlotLoad, SHOW_BACKEND_STATS, type BackendStats } from './stats.js';
import { loadSavedState, saveState, writeAtomic } from './saved-state.js';
import type { TlsListener } from './tls-config.js';

export interface ProxyOptions {
  haproxyBin: string;
  /** HAProxy's own directory in the data dir (config, map, sockets, pid file). */
  dir: string;
  httpPort: number;
  /** IPv4 address apps are served on; default all interfaces. */
  bindAddress?: string;
  /** Swarm mode (known before start, so a restart adopts HAProxy without a reload). */
  cluster?: Omit<ClusterProxyInput, 'probeSocket'>;
  /** Loopback UDP port for HAProxy's access log (src/proxy/access-log.ts); none: no log. */
  accessLogPort?: number;
  /** HTTPS beside HTTP: the listener's files must exist before start() (src/proxy/haproxy-certs.ts). */
  tls?: TlsListener;
  logger: Logger;
}

export class Proxy {
  readonly paths: HaproxyPaths;
  private readonly haproxy: HaproxyProcess;
  private readonly specs = new Map<string, BackendSpec>();
  private readonly slots = new Map<string, BackendSlots>();
  private readonly hosts = new Map<string, string>();
  /** Extra host ports (ports plugin), by port. */
  private readonly listeners = new Map<number, ListenerSpec>();
  private loadedShape: string | null = null;
  private writtenConfig = '';
  private started = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ProxyOptions) {
    checkPort(opts.httpPort);
    this.paths = haproxyPaths(opts.dir);
    this.haproxy = new HaproxyProcess(opts.haproxyBin, this.paths, opts.logger);
  }

  /**
   * Adopts the HAProxy already running from this directory (its live slot states become the
   * desired ones) or starts one, all slots in maint until they are set: after a crash or a
   * reboot container addresses may have changed, and a stale address could be another app.
   */
  start(): Promise<{ adopted: boolean; pid: number }> {
    return this.serial(async () => {
      await mkdir(this.paths.dir, { recursive: true, mode: 0o700 });
      const saved = await loadSavedState(this.paths.stateFile, this.opts.logger);
      for (const b of saved.backends) {
        this.specs.set(b.name, b);
        this.slots.set(b.name, emptySlots(b.slotsPerColor));
      }
      for (const l of saved.listeners) if (this.specs.has(l.backend)) this.listeners.set(l.port, l);
      this.hosts.clear();
      const mapText = await readFile(this.paths.map, 'utf8').catch(() => null);
      for (const [h, b] of parseMapFile(mapText ?? '')) this.hosts.set(h, b);
      if (mapText === null) await writeAtomic(this.paths.map, '');
      this.writtenConfig = await readFile(this.paths.config, 'utf8').catch(() => '');

      const running = await this.haproxy.running();
      if (running !== null) {
        this.loadedShape = saved.loadedShape;
        await this.adoptLive();
        // A Slipway upgrade (new template) or a changed port: bring HAProxy up to date now.
        if (this.shape() !== this.loadedShape) {
          await this.haproxy.reload();
          this.loadedShape = this.shape();
          await this.save();
        }
        this.started = true;
        this.opts.logger.info('adopted running HAProxy', { pid: running });
        return { adopted: true, pid: running };
      }
      await this.writeConfig();
      const pid = await this.haproxy.launch();
      this.loadedShape = this.shape();
      await this.save();
      this.started = true;
      return { adopted: false, pid };
    });
  }

  /** Declares exactly these backends: new ones are added, missing ones removed (with their
   *  routes), slot counts grow but never shrink. Reloads only when the shape changed. */
  ensureBackends(specs: BackendSpec[]): Promise<{ reloaded: boolean }> {
    return this.serial(() => this.declare(specs, [...this.specs.keys()].filter((n) => !specs.some((s) => s.name === n))));
  }

  /** Adds or grows these backends, leaving the others alone (one app's deploy). */
  declareBackends(specs: BackendSpec[]): Promise<{ reloaded: boolean }> {
    return this.serial(() => this.declare(specs, []));
  }

  removeBackends(names: string[]): Promise<{ reloaded: boolean }> {
    return this.serial(() => this.declare([], names.filter((n) => this.specs.has(n))));
  }

  backends(): BackendSpec[] {
    return [...this.specs.values()];
  }

  /**
   * Listens on `add`'s host ports for their backends and stops listening on `remove`; one
   * seamless reload when that changes anything. If HAProxy refuses (a port taken meanwhile),
   * the listeners are put back as they were, so the next reload does not fail for it too.
   */
  declareListeners(add: ListenerSpec[], remove: number[]): Promise<{ reloaded: boolean }> {
    return this.serial(async () => {
      this.requireStarted();
      const before = new Map(this.listeners);
      for (const p of remove) this.listeners.delete(p);
      for (const l of add) this.listeners.set(l.port, l);
      try {
        renderHaproxyConfig(this.configInput()); // validates before anything is written
        return await this.reloadIfShapeChanged();
      } catch (e) {
        this.listeners.clear();
        for (const [p, l] of before) this.listeners.set(p, l);
        await this.reloadIfShapeChanged().catch(() => undefined);
        throw e;
      }
    });
  }

  listenerPorts(): ListenerSpec[] {
    return [...this.listeners.values()];
  }

  routes(): Map<string, string> {
    return new Map(this.hosts);
  }

  /** Sends requests for `host` to `backend`, live and in the map file a reload reads. */
  route(host: string, backend: string): Promise<void> {
    return this.serial(async () => {
      this.requireStarted();
      this.requireBackend(backend);
      checkHost(host);
      this.hosts.set(host, backend);
      await writeAtomic(this.paths.map, renderMapFile(this.hosts));
      await this.setLiveRoute(host, backend);
    });
  }

  unroute(host: string): Promise<void> {
    return this.serial(async () => {
      this.requireStarted();
      checkHost(host);
      this.hosts.delete(host);
      await writeAtomic(this.paths.map, renderMapFile(this.hosts));
      const answer = await sendCommand(this.paths.adminSocket, delMapCommand(this.paths.map, host));
      if (answer.trim() && !isNotFound(answer)) throw new Error(`HAProxy refused to remove the route for ${host}: ${answer.trim()}`);
    });
  }

  /** Puts `servers` in rotation in `color`'s slots (address set, state ready); the color's
   *  other slots go to maint. The other color is untouched: drain it afterwards. */
  setColor(backend: string, color: Color, servers: Server[]): Promise<void> {
    return this.serial(() => this.apply(backend, (slots, spec) => planColor(slots, color, servers, spec.slotsPerColor)));
  }

  /** The color stops taking new requests and finishes those it has. */
  drainColor(backend: string, color: Color): Promise<void> {
    return this.serial(() => this.apply(backend, (slots) => planDrain(slots, color)));
  }

  /** setColor then drain the other color, as one change: traffic moves before the config file
   *  (checked by `haproxy -c`, for the next reload) is written, once. */
  switchColor(backend: string, color: Color, servers: Server[]): Promise<void> {
    return this.serial(() =>
      this.apply(backend, (slots, spec) => planColor(slots, color, servers, spec.slotsPerColor), (slots) => planDrain(slots, otherColor(color))),
    );
  }

  /**
   * Re-points the color at `servers` only if it is serving now (has a ready slot): Swarm moved
   * its tasks. A color being switched to, drained or out is left to the rollout. True if changed.
   */
  followColor(backend: string, color: Color, servers: Server[]): Promise<boolean> {
    return this.serial(async () => {
      const slots = this.slots.get(backend);
      if (!slots || !Object.entries(slots).some(([slot, s]) => s.state === 'ready' && slot.startsWith(color))) return false;
      const before = JSON.stringify(slots);
      await this.apply(backend, (current, spec) => planColor(current, color, servers, spec.slotsPerColor));
      return JSON.stringify(this.slots.get(backend)) !== before;
    });
  }

  /** Requests the color's servers are handling or queueing now: a drained color is done at 0. */
  async inFlight(backend: string, color: Color): Promise<number> {
    this.requireStarted();
    return parseColorLoad(await sendCommand(this.paths.adminSocket, showServerStatsCommand(backend)))[color];
  }

  /** These servers stop taking new requests and finish theirs (a replica scaled in). */
  drainServers(backend: string, servers: Server[]): Promise<void> {
    return this.serial(() => this.apply(backend, (slots) => planDrainServers(slots, servers)));
  }

  /** Requests these servers are handling or queueing now. */
  async inFlightAt(backend: string, servers: Server[]): Promise<number> {
    this.requireStarted();
    const load = parseSlotLoad(await sendCommand(this.paths.adminSocket, showServerStatsCommand(backend)));
    const slots = this.slots.get(backend) ?? {};
    const wanted = new Set(servers.map((s) => `${s.addr}:${s.port}`));
    return Object.entries(slots).reduce((n, [slot, s]) => n + (wanted.has(`${s.addr}:${s.port}`) ? (load.get(slot) ?? 0) : 0), 0);
  }

  /** Every app backend's request counters, status classes, sessions and queue. */
  async backendStats(): Promise<BackendStats[]> {
    this.requireStarted();
    return parseBackendStats(await sendCommand(this.paths.adminSocket, SHOW_BACKEND_STATS));
  }

  /** The color leaves rotation entirely (maint). */
  disableColor(backend: string, color: Color): Promise<void> {
    return this.serial(() => this.apply(backend, (slots) => planDisable(slots, color)));
  }

  /** Slots as HAProxy reports them now (for start-up reconciliation). */
  async state(backend: string): Promise<SlotStatus[]> {
    this.requireStarted();
    return parseServersState(await runCommand(this.paths.adminSocket, showServersStateCommand(checkBackendName(backend))));
  }

  /** Switches to swarm mode (or back, with null): one seamless reload when the shape changes. */
  setCluster(cluster: Omit<ClusterProxyInput, 'probeSocket'> | null): Promise<{ reloaded: boolean }> {
    return this.serial(async () => {
      this.requireStarted();
      const before = this.opts.cluster;
      this.opts.cluster = cluster ?? undefined;
      try {
        return await this.declare([], []);
      } catch (e) {
        this.opts.cluster = before;
        throw e;
      }
    });
  }

  /** Reloads even if the config is unchanged: HAProxy reopens the network namespace (the edge
   *  container was recreated). Runtime slot states survive, being baked into the config. */
  reload(): Promise<void> {
    return this.serial(async () => {
      this.requireStarted();
      await this.writeConfig();
      await this.haproxy.reload();
    });
  }

  /** Runs `fn` between the adapter's own changes: a Runtime API change made during a reload
   *  could reach the old worker only (certificates, the TLS maps). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      this.requireStarted();
      return fn();
    });
  }

  /** Stops HAProxy (tests; Slipway itself leaves it serving when it exits). */
  stop(): Promise<void> {
    return this.serial(async () => {
      await this.haproxy.terminate();
      this.started = false;
    });
  }

  private async declare(specs: BackendSpec[], remove: string[]): Promise<{ reloaded: boolean }> {
    this.requireStarted();
    for (const spec of specs) {
      const cur = this.specs.get(spec.name);
      const next = { ...spec, slotsPerColor: Math.max(spec.slotsPerColor, cur?.slotsPerColor ?? 0) };
      const others = [...this.specs.values()].filter((b) => b.name !== next.name);
      renderHaproxyConfig({ ...this.configInput(), backends: [...others, next] }); // validates before anything changes
      this.specs.set(spec.name, next);
      this.slots.set(spec.name, { ...emptySlots(next.slotsPerColor), ...this.slots.get(spec.name) });
    }
    for (const name of remove) {
      this.specs.delete(name);
      this.slots.delete(name);
      for (const [h, b] of this.hosts) if (b === name) this.hosts.delete(h);
      for (const [p, l] of this.listeners) if (l.backend === name) this.listeners.delete(p);
    }
    if (remove.length) await writeAtomic(this.paths.map, renderMapFile(this.hosts));
    return this.reloadIfShapeChanged();
  }

  /** Writes the config; reloads HAProxy only when more than slot states changed. */
  private async reloadIfShapeChanged(): Promise<{ reloaded: boolean }> {
    await this.writeConfig();
    const shape = this.shape();
    let reloaded = false;
    if (shape !== this.loadedShape) {
      await this.haproxy.reload();
      this.loadedShape = shape;
      reloaded = true;
    }
    await this.save();
    return { reloaded };
  }

  /** Runs each plan's Runtime API commands in turn, then writes the config once. */
  private async apply(backend: string, ...plans: ((slots: BackendSlots, spec: BackendSpec) => SwitchPlan)[]): Promise<void> {
    this.requireStarted();
    const spec = this.requireBackend(backend);
    let changed = false;
    for (const plan of plans) {
      const slots = this.slots.get(backend)!;
      const p = plan(slots, spec);
      const commands = switchCommands(backend, p);
      if (!commands.length) continue;
      try {
        for (const c of commands) await runCommand(this.paths.adminSocket, c);
      } catch (e) {
        // Part of the plan may have been applied: believe HAProxy, not the plan.
        await this.readLiveSlots([backend]).catch(() => undefined);
        throw e;
      }
      this.slots.set(backend, applyPlan(slots, p));
      this.opts.logger.debug('proxy slots changed', { backend, commands });
      changed = true;
    }
    if (changed) await this.writeConfig();
  }

  private async setLiveRoute(host: string, backend: string): Promise<void> {
    const answer = await sendCommand(this.paths.adminSocket, setMapCommand(this.paths.map, host, backend));
    if (!answer.trim()) return;
    if (!isNotFound(answer)) throw new Error(`HAProxy refused the route ${host} → ${backend}: ${answer.trim()}`);
    await runCommand(this.paths.adminSocket, addMapCommand(this.paths.map, host, backend));
  }

  /** Live slot states win over the empty defaults; live routes are brought in line with the
   *  map file (the file is written first, so it holds the last intent). */
  private async adoptLive(): Promise<void> {
    await this.readLiveSlots([...this.specs.keys()]);
    const liveRoutes = parseShowMap(await runCommand(this.paths.adminSocket, showMapCommand(this.paths.map)));
    for (const [h, b] of this.hosts) if (liveRoutes.get(h) !== b) await this.setLiveRoute(h, b);
    for (const h of liveRoutes.keys()) if (!this.hosts.has(h)) await sendCommand(this.paths.adminSocket, delMapCommand(this.paths.map, h));
    await this.writeConfig();
  }

  private async readLiveSlots(backends: string[]): Promise<void> {
    const live = parseServersState(await runCommand(this.paths.adminSocket, showServersStateCommand()));
    for (const name of backends) {
      const slots = this.slots.get(name);
      if (!slots) continue;
      for (const s of live.filter((l) => l.backend === name && slots[l.slot])) slots[s.slot] = { addr: s.addr, port: s.port, state: s.state };
    }
  }

  private configInput(): HaproxyConfigInput {
    return {
      httpPort: this.opts.httpPort,
      bindAddress: this.opts.bindAddress,
      adminSocket: this.paths.adminSocket,
      mapFile: this.paths.map,
      backends: [...this.specs.values()],
      cluster: this.opts.cluster && { ...this.opts.cluster, probeSocket: this.paths.probeSocket },
      listeners: [...this.listeners.values()],
      accessLogPort: this.opts.accessLogPort,
      tls: this.opts.tls,
    };
  }

  /** Everything a reload would change: the config without slot states. */
  private shape(): string {
    return createHash('sha256').update(renderHaproxyConfig(this.configInput())).digest('hex');
  }

  /** Writes the config with the current slot states, checked by `haproxy -c` first. */
  private async writeConfig(): Promise<void> {
    const serving: Record<string, ReturnType<typeof servingSlots>> = {};
    for (const [name, slots] of this.slots) serving[name] = servingSlots(slots);
    const text = renderHaproxyConfig({ ...this.configInput(), serving });
    if (text === this.writtenConfig) return;
    const tmp = `${this.paths.config}.new`;
    await writeFile(tmp, text, { mode: 0o600 });
    await this.haproxy.check(tmp);
    await rename(tmp, this.paths.config);
    this.writtenConfig = text;
  }

  private save(): Promise<void> {
    return saveState(this.paths.stateFile, { backends: [...this.specs.values()], listeners: [...this.listeners.values()], loadedShape: this.loadedShape });
  }

  private requireStarted(): void {
    if (!this.started) throw new Error('the proxy is not started: call start() first');
  }

  private requireBackend(name: string): BackendSpec {
    const spec = this.specs.get(checkBackendName(name));
    if (!spec) throw new Error(`no HAProxy backend ${name}: declare it with ensureBackends/declareBackends first`);
    return spec;
  }

  /** One change at a time: concurrent deploys of different apps share one HAProxy. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
