// Renders HAProxy's configuration from the declared backends (pure). Every value that reaches
// the config text is validated here, so nothing a user typed can add a line or a directive.
import net from 'node:net';
import type { Color } from '../domain.js';
import { registryDoorSections } from './registry-door.js';
import { tlsBind, tlsFiles, tlsFrontendRules, tlsGlobal, type TlsListener } from './tls-config.js';

export type { Color } from '../domain.js';
export const COLORS: readonly Color[] = ['blue', 'green'];
/** The access-log line: backend, status, time to the server's response headers (ms, -1 if none);
 *  parsed by parseAccessLine in stats.ts. */
export const ACCESS_LOG_FORMAT = '%b %ST %Tr';

/** HTTP health check HAProxy runs against each ready slot; without one it checks the TCP port. */
export interface BackendHealth {
  path: string;
  /** Host header sent with the check (HTTP/1.1 needs one). Default `localhost`. */
  host?: string;
  intervalSeconds?: number;
}

/** One routable backend, e.g. `app_web`: `slotsPerColor` pre-declared servers per color. */
export interface BackendSpec {
  name: string;
  slotsPerColor: number;
  healthCheck?: BackendHealth;
  /** `tcp` for a tcp: port mapping's backend (bytes through); default http. */
  mode?: 'http' | 'tcp';
}

/** A host port HAProxy listens on for one backend (the ports plugin), besides the apps' HTTP port. */
export interface ListenerSpec {
  port: number;
  mode: 'http' | 'tcp';
  backend: string;
}

export interface Server {
  addr: string;
  port: number;
}

export interface SlotAssignment extends Server {
  slot: string;
}

/**
 * Swarm mode (src/cluster/): app servers are task addresses on overlay networks, reached from
 * inside the network namespace of Slipway's edge container on the manager, which is attached to
 * every app's overlay. A probe socket relays the health checks of new tasks the same way, and
 * the registry is served to the nodes on the cluster address.
 */
export interface ClusterProxyInput {
  /** A name under /var/run/netns (HAProxy opens it at start and at each reload); absent while
   *  the edge is being set up (the registry door comes first: the edge's image comes through it). */
  namespace?: string;
  /** Unix socket: a client sends a PROXY v1 header naming a task address, then talks to it. */
  probeSocket: string;
  /** Where nodes pull release images: a read-only HTTP door to Slipway's registry (registry-door.ts). */
  registry?: { bind: string; port: number; target: string };
}

export interface HaproxyConfigInput {
  httpPort: number;
  /** Address the apps are served on; default all IPv4 interfaces. */
  bindAddress?: string;
  adminSocket: string;
  mapFile: string;
  backends: BackendSpec[];
  /** Loopback UDP port HAProxy sends one access-log line per request to (response times). */
  accessLogPort?: number;
  /** Slots to declare enabled at their address (the ready ones), per backend. Every other
   *  slot is declared `disabled` at 127.0.0.1:1, so a reload keeps serving what was ready. */
  serving?: Record<string, SlotAssignment[]>;
  /** Swarm mode: servers are reached inside a network namespace, plus the cluster's doors. */
  cluster?: ClusterProxyInput;
  listeners?: ListenerSpec[];
  /** HTTPS beside HTTP (src/proxy/tls-config.ts); absent: HTTP only. */
  tls?: TlsListener;
}

/** Backend that answers hosts with no app; its name has no `_`, so no app_service can take it. */
export const UNKNOWN_HOST_BACKEND = 'slipway-unknown-host';
const FRONTEND = 'slipway-http';
export const MAX_SLOTS_PER_COLOR = 256;
const PLACEHOLDER = '127.0.0.1:1';

/** Slots for a replica count, rounded up (4, 8, 16, …) so scaling up rarely needs a reload. */
export function slotCount(replicas: number): number {
  let n = 4;
  while (n < replicas) n *= 2;
  if (n > MAX_SLOTS_PER_COLOR) throw new Error(`${replicas} replicas is more than the ${MAX_SLOTS_PER_COLOR} slots a color can have`);
  return n;
}

/** The backend an app's web service is served by. App names have no `_`, so this is unambiguous. */
export function backendName(app: string, service: string): string {
  return checkBackendName(`${app}_${service}`);
}

export function slotName(color: Color, index: number): string {
  return `${color}${index}`;
}

export function slotNames(color: Color, slotsPerColor: number): string[] {
  return Array.from({ length: slotsPerColor }, (_, i) => slotName(color, i + 1));
}

/** `blue3` → `blue`, anything else → null. */
export function colorOfSlot(slot: string): Color | null {
  const m = /^(blue|green)[1-9][0-9]*$/.exec(slot);
  return m ? (m[1] as Color) : null;
}

export function checkBackendName(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,126}$/.test(name) || name === UNKNOWN_HOST_BACKEND || name === FRONTEND)
    throw new Error(`invalid HAProxy backend name ${JSON.stringify(name)}: use 1–127 of a-z, A-Z, 0-9, "_", ".", "-"`);
  return name;
}

export function checkSlotName(slot: string): string {
  if (!colorOfSlot(slot)) throw new Error(`invalid slot name ${JSON.stringify(slot)}: expected blueN or greenN`);
  return slot;
}

/** Hosts as the frontend sees them after `lower,word(1,:)`: lower-case DNS names, no port. */
export function checkHost(host: string): string {
  if (host.length > 253 || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host) || host.includes('..'))
    throw new Error(`invalid host ${JSON.stringify(host)}: use lower-case a-z, 0-9, "." and "-" (a DNS name without a port)`);
  return host;
}

/** Container addresses are IPv4 (Docker bridge networks). */
export function checkAddr(addr: string): string {
  if (!net.isIPv4(addr)) throw new Error(`invalid server address ${JSON.stringify(addr)}: expected an IPv4 address`);
  return addr;
}

export function checkPort(port: number, allowZero = false): number {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) throw new Error(`invalid port ${String(port)}`);
  return port;
}

/** Paths go into the config and the Runtime API unquoted: no whitespace, quotes, `#`, `\`, `$`. */
export function checkPath(p: string): string {
  if (!p.startsWith('/') || /[\s"'#\\$;]/.test(p) || /[\x00-\x1f\x7f]/.test(p))
    throw new Error(`path ${JSON.stringify(p)} cannot be used by HAProxy: it must be absolute, without spaces, quotes, "#", "$", ";" or "\\"`);
  return p;
}

function checkCheckPath(p: string): string {
  if (!/^\/[A-Za-z0-9._~!&()*+,=:@%/?-]*$/.test(p) || p.length > 1024)
    throw new Error(`invalid health check path ${JSON.stringify(p)}: an absolute URL path without spaces or quotes`);
  return p;
}

function checkSpec(spec: BackendSpec): void {
  checkBackendName(spec.name);
  if (spec.mode !== undefined && spec.mode !== 'http' && spec.mode !== 'tcp') throw new Error(`backend ${spec.name}: mode must be http or tcp`);
  if (!Number.isInteger(spec.slotsPerColor) || spec.slotsPerColor < 1 || spec.slotsPerColor > MAX_SLOTS_PER_COLOR)
    throw new Error(`backend ${spec.name}: slotsPerColor must be 1–${MAX_SLOTS_PER_COLOR}, got ${String(spec.slotsPerColor)}`);
  const h = spec.healthCheck;
  if (h) {
    checkCheckPath(h.path);
    if (h.host !== undefined) checkHost(h.host);
    if (h.intervalSeconds !== undefined && !(Number.isInteger(h.intervalSeconds) && h.intervalSeconds >= 1 && h.intervalSeconds <= 3600))
      throw new Error(`backend ${spec.name}: health check interval must be 1–3600 whole seconds`);
  }
}

export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  checkPort(input.httpPort);
  checkPath(input.adminSocket);
  checkPath(input.mapFile);
  if (input.bindAddress !== undefined && !net.isIPv4(input.bindAddress)) throw new Error(`invalid bind address ${JSON.stringify(input.bindAddress)}`);
  if (input.tls) checkTls(input.tls);
  const seen = new Set<string>();
  for (const b of input.backends) {
    checkSpec(b);
    if (seen.has(b.name)) throw new Error(`backend ${b.name} is declared twice`);
    seen.add(b.name);
  }
  const backends = [...input.backends].sort((a, b) => a.name.localeCompare(b.name));
  const listeners = checkListeners(input.listeners ?? [], input.httpPort, seen);
  return [
    '# Slipway — generated HAProxy configuration; edits are overwritten on the next change.',
    global(input.adminSocket, input.accessLogPort) + (input.tls ? tlsGlobal().join('\n') + '\n' : ''),
    defaults(input.accessLogPort),
    frontend(input.bindAddress ?? '', input.httpPort, input.mapFile, input.tls),
    UNKNOWN_HOST,
    ...backends.map((b) => backend(b, input.serving?.[b.name] ?? [], serverNamespace(input.cluster))),
    ...listeners.map((l) => listener(input.bindAddress ?? '', l)),
    // Last: the cluster's sections follow a tcp defaults section of their own.
    ...clusterSections(input.cluster),
  ].join('\n');
}

/** Each listener on its own port (not the apps' HTTP port), for a declared backend of its mode. */
function checkListeners(listeners: ListenerSpec[], httpPort: number, backends: Set<string>): ListenerSpec[] {
  const ports = new Set<number>([httpPort]);
  for (const l of listeners) {
    checkPort(l.port);
    if (ports.has(l.port)) throw new Error(`port ${l.port} has two listeners (or is the apps' HTTP port)`);
    ports.add(l.port);
    if (l.mode !== 'http' && l.mode !== 'tcp') throw new Error(`listener on ${l.port}: mode must be http or tcp`);
    if (!backends.has(checkBackendName(l.backend))) throw new Error(`listener on ${l.port}: no backend ${l.backend}`);
  }
  return [...listeners].sort((a, b) => a.port - b.port);
}

/** A ports-plugin frontend: everything arriving on the port goes to its backend. TCP ones wait
 *  as long as a database connection may idle; the http defaults (forwardfor…) are ignored there,
 *  and they log nothing: the defaults' access-log format has HTTP-only fields HAProxy refuses. */
function listener(bindAddress: string, l: ListenerSpec): string {
  const lines = [`frontend slipway-port-${l.port}`, `    bind ${bindAddress}:${l.port}`];
  if (l.mode === 'tcp') lines.push('    mode tcp', '    timeout client 1h', '    no log', '    log-format "%b"');
  lines.push(`    default_backend ${l.backend}`);
  return lines.join('\n') + '\n';
}

function global(adminSocket: string, accessLogPort: number | undefined): string {
  // expose-fd listeners: a reloaded worker takes the listening sockets over from the old one,
  // so no connection is refused during a reload. hard-stop-after bounds how long an old worker
  // lingers with long-lived connections (websockets) after a reload.
  const log = accessLogPort === undefined ? '' : `    log 127.0.0.1:${checkPort(accessLogPort)} len 256 format raw local0 info\n`;
  return `global
    stats socket ${adminSocket} mode 600 level admin expose-fd listeners
    stats timeout 30s
    hard-stop-after 2m
${log}`;
}

/** With an access-log port: one short line per request (src/proxy/stats.ts parses it). */
function defaults(accessLogPort: number | undefined): string {
  if (accessLogPort === undefined) return DEFAULTS;
  return `${DEFAULTS}    log global
    option dontlognull
    log-format "${ACCESS_LOG_FORMAT}"
`;
}

// Keep-alive to clients and servers for throughput. A switch never reloads (Runtime API), and
// idle-close-on-response makes an old worker close idle client connections after a reload
// instead of cutting them (measured in DESIGN.md: 7 failed requests without it, 0 with it).
// retry-on + `redispatch 1`: a request that meets a just-stopped server (refused connection,
// or a keep-alive connection closed under it) is retried on another server.
const DEFAULTS = `defaults
    mode http
    option http-keep-alive
    option idle-close-on-response
    option forwardfor
    option redispatch 1
    retries 3
    retry-on conn-failure empty-response
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 30s
    timeout tunnel 1h
    http-error status 503 content-type text/plain string "503 Service Unavailable: this app has no healthy container to serve the request right now.\\n"
`;

function checkTls(tls: TlsListener): void {
  checkPort(tls.port);
  if (tls.bindAddress !== undefined && !net.isIPv4(tls.bindAddress)) throw new Error(`invalid TLS bind address ${JSON.stringify(tls.bindAddress)}`);
  tlsFiles(tls).forEach(checkPath);
}

function frontend(bindAddress: string, port: number, mapFile: string, tls?: TlsListener): string {
  // Host header, lower-cased, without its port, looked up in the map file; a miss names no
  // backend, so HAProxy falls through to default_backend.
  const https = tls ? [tlsBind(tls), ...tlsFrontendRules(tls)].join('\n') + '\n' : '';
  return `frontend ${FRONTEND}
    bind ${bindAddress}:${port}
${https}    use_backend %[req.hdr(host),lower,word(1,:),map(${mapFile})]
    default_backend ${UNKNOWN_HOST_BACKEND}
`;
}

const UNKNOWN_HOST = `backend ${UNKNOWN_HOST_BACKEND}
    http-request return status 404 content-type text/plain string "404 Not Found: no app at this address. Check the app name in the URL.\\n"
`;

/** `ns` (` namespace NAME` or '') goes on every server line: HAProxy 2.6 neither inherits it from
 *  default-server nor copies it past the first server of a server-template (checked here). */
function backend(spec: BackendSpec, serving: SlotAssignment[], ns: string): string {
  const h = spec.healthCheck;
  const inter = h?.intervalSeconds ?? 2;
  const tcp = spec.mode === 'tcp';
  const lines = [`backend ${spec.name}`, ...(tcp ? ['    mode tcp', '    timeout server 1h', '    retry-on conn-failure'] : []), '    balance roundrobin'];
  if (h && !tcp) {
    lines.push('    option httpchk');
    lines.push(`    http-check send meth GET uri ${checkCheckPath(h.path)} ver HTTP/1.1 hdr Host ${h.host ?? 'localhost'}`);
    lines.push('    http-check expect status 200-399');
  }
  // A retried POST could run twice on the app: only idempotent methods are retried after the
  // request was sent (a refused connection is still retried, nothing was sent then).
  if (!tcp) lines.push('    http-request disable-l7-retry if !METH_GET !METH_HEAD !METH_OPTIONS');
  lines.push(`    default-server check inter ${inter}s fall 3 rise 2`);
  const bySlot = new Map(serving.map((s) => [checkSlotName(s.slot), s]));
  for (const color of COLORS) {
    for (const slot of slotNames(color, spec.slotsPerColor)) {
      const s = bySlot.get(slot);
      lines.push(s ? `    server ${slot} ${checkAddr(s.addr)}:${checkPort(s.port)}${ns}` : `    server ${slot} ${PLACEHOLDER} disabled${ns}`);
      bySlot.delete(slot);
    }
  }
  if (bySlot.size) throw new Error(`backend ${spec.name} has no slot ${[...bySlot.keys()].join(', ')} (${spec.slotsPerColor} per color)`);
  return lines.join('\n') + '\n';
}

export function checkNamespace(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(name)) throw new Error(`invalid network namespace name ${JSON.stringify(name)}`);
  return name;
}

function serverNamespace(cluster: ClusterProxyInput | undefined): string {
  return cluster?.namespace ? ` namespace ${checkNamespace(cluster.namespace)}` : '';
}

/** The cluster's sections, after a tcp defaults of their own (the http options above don't apply). */
function clusterSections(cluster: ClusterProxyInput | undefined): string[] {
  if (!cluster) return [];
  const ns = serverNamespace(cluster);
  const out = [
    `defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
`,
  ];
  if (ns)
    out.push(
    // accept-proxy: the destination is the address named in the client's PROXY header, and the
    // server 0.0.0.0:0 connects to that destination — inside the namespace.
    `frontend slipway-probe
    bind unix@${checkPath(cluster.probeSocket)} mode 600 accept-proxy
    default_backend slipway-probe
`,
    `backend slipway-probe
    server relay 0.0.0.0:0${ns}
`,
    );
  const r = cluster.registry;
  if (r) {
    const [host, port] = r.target.split(':');
    out.push(...registryDoorSections({ bind: checkAddr(r.bind), port: checkPort(r.port), targetHost: checkAddr(host ?? ''), targetPort: checkPort(Number(port)) }));
  }
  return out;
}
