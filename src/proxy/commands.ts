// HAProxy Runtime API commands as data, the parsers of its answers, and the slot plans of a
// color switch (pure). The adapter in haproxy.ts sends them, one command per connection.
import {
  checkAddr,
  checkBackendName,
  checkHost,
  checkPath,
  checkPort,
  checkSlotName,
  colorOfSlot,
  slotNames,
  type Color,
  type Server,
  type SlotAssignment,
} from './haproxy-config.js';

/** `ready` takes new requests; `drain` finishes what it has, takes none; `maint` is out. */
export type SlotState = 'ready' | 'drain' | 'maint';

/** What the adapter wants of one slot (and believes HAProxy has). */
export interface SlotDesired extends Server {
  state: SlotState;
}
export type BackendSlots = Record<string, SlotDesired>;

/** One slot as HAProxy reports it. `up` is the health-check verdict (false in maint). */
export interface SlotStatus extends Server {
  backend: string;
  slot: string;
  color: Color;
  state: SlotState;
  up: boolean;
}

export interface SwitchPlan {
  /** Slots to point at an address and put in rotation. */
  ready?: SlotAssignment[];
  drain?: string[];
  maint?: string[];
}

export const PLACEHOLDER_SERVER: Server = { addr: '127.0.0.1', port: 1 };

export function setAddrCommand(backend: string, a: SlotAssignment): string {
  return `set server ${checkBackendName(backend)}/${checkSlotName(a.slot)} addr ${checkAddr(a.addr)} port ${checkPort(a.port)}`;
}

export function setStateCommand(backend: string, slot: string, state: SlotState): string {
  return `set server ${checkBackendName(backend)}/${checkSlotName(slot)} state ${state}`;
}

/** Commands in the order that never leaves the backend without a ready server: the new
 *  slots get their address and go ready first, only then do others drain or leave. */
export function switchCommands(backend: string, plan: SwitchPlan): string[] {
  const ready = plan.ready ?? [];
  return [
    ...ready.map((a) => setAddrCommand(backend, a)),
    ...ready.map((a) => setStateCommand(backend, a.slot, 'ready')),
    ...(plan.drain ?? []).map((s) => setStateCommand(backend, s, 'drain')),
    ...(plan.maint ?? []).map((s) => setStateCommand(backend, s, 'maint')),
  ];
}

/** `set map` changes an existing entry; the adapter falls back to `add map` when it is missing
 *  (`add map` on an existing key would add a second, shadowed entry). */
export function setMapCommand(mapFile: string, host: string, backend: string): string {
  return `set map ${checkPath(mapFile)} ${checkHost(host)} ${checkBackendName(backend)}`;
}
export function addMapCommand(mapFile: string, host: string, backend: string): string {
  return `add map ${checkPath(mapFile)} ${checkHost(host)} ${checkBackendName(backend)}`;
}
export function delMapCommand(mapFile: string, host: string): string {
  return `del map ${checkPath(mapFile)} ${checkHost(host)}`;
}
export function showServersStateCommand(backend?: string): string {
  return backend === undefined ? 'show servers state' : `show servers state ${checkBackendName(backend)}`;
}
/** `show stat` of one backend's servers (type 4), as CSV. */
export function showServerStatsCommand(backend: string): string {
  return `show stat ${checkBackendName(backend)} 4 -1`;
}

/** Requests each color is handling or queueing now (scur + qcur of its slots), from `show stat` CSV. */
export function parseColorLoad(csv: string): Record<Color, number> {
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const [iSv, iScur, iQcur] = ['svname', 'scur', 'qcur'].map((c) => header.indexOf(c)) as [number, number, number];
  if (iSv < 0 || iScur < 0 || iQcur < 0) throw new Error(`unexpected show stat answer: ${csv.slice(0, 200)}`);
  const load: Record<Color, number> = { blue: 0, green: 0 };
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const color = colorOfSlot(f[iSv] ?? '');
    if (color) load[color] += (Number(f[iScur]) || 0) + (Number(f[iQcur]) || 0);
  }
  return load;
}

/** HAProxy's answer when a map key is missing (`set map`: "entry not found.", `del map`: "Key not found."). */
export function isNotFound(response: string): boolean {
  return /^(entry|key) not found\.?$/i.test(response.trim());
}

/** Null when the command succeeded, else the error HAProxy gave. The Runtime API always
 *  "succeeds" at the socket level, so its text is the only signal. */
export function responseError(command: string, response: string): string | null {
  const text = response.trim();
  if (command.startsWith('show ')) return /^Unknown command/.test(text) ? text : null;
  if (/^set server \S+ addr /.test(command)) return /changed from|no need to change/.test(text) ? null : text || 'no answer';
  return text === '' ? null : text;
}

// srv_admin_state bits (HAProxy src/server.h). CMAINT (0x04) only records that the config
// said `disabled`; it stays set after `state ready`, so it does not mean maintenance.
const ADMIN_MAINT = 0x01 | 0x02 | 0x20 | 0x40;
const ADMIN_DRAIN = 0x08 | 0x10;
const OP_RUNNING = 2;

/** Parses `show servers state` (format version 1); slots other than blueN/greenN are skipped. */
export function parseServersState(text: string): SlotStatus[] {
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const cols = header.slice(2).trim().split(/\s+/);
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`show servers state has no ${name} column`);
    return i;
  };
  const [iBe, iSrv, iAddr, iOp, iAdmin, iPort] = ['be_name', 'srv_name', 'srv_addr', 'srv_op_state', 'srv_admin_state', 'srv_port'].map(at) as [
    number, number, number, number, number, number,
  ];
  const out: SlotStatus[] = [];
  for (const line of lines) {
    if (!line.trim() || line.startsWith('#') || /^\d+$/.test(line.trim())) continue;
    const f = line.trim().split(/\s+/);
    const slot = f[iSrv] ?? '';
    const color = colorOfSlot(slot);
    if (!color) continue;
    const admin = Number(f[iAdmin]);
    const state: SlotState = admin & ADMIN_MAINT ? 'maint' : admin & ADMIN_DRAIN ? 'drain' : 'ready';
    out.push({
      backend: f[iBe] ?? '',
      slot,
      color,
      addr: f[iAddr] ?? '',
      port: Number(f[iPort]),
      state,
      up: state !== 'maint' && Number(f[iOp]) === OP_RUNNING,
    });
  }
  return out;
}

export interface ProcInfo {
  master: number;
  reloads: number;
  failedReloads: number;
  workers: number[];
}

/** Parses the master CLI's `show proc` (2.6): the master line, then `# workers`, `# old workers`. */
export function parseShowProc(text: string): ProcInfo {
  const info: ProcInfo = { master: 0, reloads: 0, failedReloads: 0, workers: [] };
  let section = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      section = line.startsWith('#<') ? '' : line.slice(1).trim();
      continue;
    }
    const m = /^(\d+)\s+(\w+)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?/.exec(line);
    if (!m) continue;
    if (m[2] === 'master') {
      info.master = Number(m[1]);
      info.reloads = Number(m[3]);
      info.failedReloads = Number(m[4] ?? 0);
    } else if (m[2] === 'worker' && section === 'workers') info.workers.push(Number(m[1]));
  }
  return info;
}

export function showMapCommand(mapFile: string): string {
  return `show map ${checkPath(mapFile)}`;
}

/** Parses `show map FILE`: `0x55d1… host backend` per entry. */
export function parseShowMap(text: string): Map<string, string> {
  const routes = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3 && f[0]!.startsWith('0x')) routes.set(f[1]!, f[2]!);
  }
  return routes;
}

/** The map file HAProxy loads at start: `host backend` per line. */
export function renderMapFile(routes: Map<string, string>): string {
  const hosts = [...routes.keys()].sort();
  return hosts.map((h) => `${checkHost(h)} ${checkBackendName(routes.get(h)!)}\n`).join('');
}

export function parseMapFile(text: string): Map<string, string> {
  const routes = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [host, backend] = t.split(/\s+/);
    if (host && backend) routes.set(host, backend);
  }
  return routes;
}

/**
 * Puts `servers` into `color`'s slots: a server already in a slot of that color keeps it (no
 * needless change), the rest fill free slots in order; unused slots of the color go to maint.
 * Slots already as wanted get no command, so repeating a call is a no-op.
 */
export function planColor(slots: BackendSlots, color: Color, servers: Server[], slotsPerColor: number): SwitchPlan {
  const key = (s: Server) => `${s.addr}:${s.port}`;
  const wanted = [...new Map(servers.map((s) => [key({ addr: checkAddr(s.addr), port: checkPort(s.port) }), s])).values()];
  if (wanted.length > slotsPerColor)
    throw new Error(`${wanted.length} servers do not fit the ${slotsPerColor} ${color} slots; declare the backend with more slots first`);
  const names = slotNames(color, slotsPerColor);
  const assigned = new Map<string, Server>();
  const placed = new Set<string>();
  for (const slot of names) {
    const cur = slots[slot];
    const match = cur && cur.state !== 'maint' && wanted.find((s) => key(s) === key(cur) && !placed.has(key(s)));
    if (match) {
      assigned.set(slot, match);
      placed.add(key(match));
    }
  }
  const free = names.filter((n) => !assigned.has(n));
  for (const s of wanted.filter((w) => !placed.has(key(w)))) assigned.set(free.shift()!, s);

  const plan: Required<SwitchPlan> = { ready: [], drain: [], maint: [] };
  for (const slot of names) {
    const s = assigned.get(slot);
    const cur = slots[slot];
    if (s) {
      if (!(cur && cur.state === 'ready' && key(cur) === key(s))) plan.ready.push({ slot, addr: s.addr, port: s.port });
    } else if (cur?.state !== 'maint') plan.maint.push(slot);
  }
  return plan;
}

/** The color's ready slots stop taking new requests and finish the ones they have. */
export function planDrain(slots: BackendSlots, color: Color): SwitchPlan {
  return { drain: Object.keys(slots).filter((s) => colorOfSlot(s) === color && slots[s]!.state === 'ready') };
}

/** The slots serving these addresses stop taking new requests (scale-in); the others stay. */
export function planDrainServers(slots: BackendSlots, servers: Server[]): SwitchPlan {
  const gone = new Set(servers.map((s) => `${s.addr}:${s.port}`));
  return { drain: Object.keys(slots).filter((s) => slots[s]!.state === 'ready' && gone.has(`${slots[s]!.addr}:${slots[s]!.port}`)) };
}

/** Every slot of the color out of rotation. */
export function planDisable(slots: BackendSlots, color: Color): SwitchPlan {
  return { maint: Object.keys(slots).filter((s) => colorOfSlot(s) === color && slots[s]!.state !== 'maint') };
}

/** The slots after a plan has been applied. */
export function applyPlan(slots: BackendSlots, plan: SwitchPlan): BackendSlots {
  const next: BackendSlots = { ...slots };
  for (const a of plan.ready ?? []) next[a.slot] = { addr: a.addr, port: a.port, state: 'ready' };
  for (const s of plan.drain ?? []) next[s] = { ...(next[s] ?? PLACEHOLDER_SERVER), state: 'drain' };
  for (const s of plan.maint ?? []) next[s] = { ...(next[s] ?? PLACEHOLDER_SERVER), state: 'maint' };
  return next;
}

/** All slots of a backend in maint at the placeholder, as a fresh config declares them. */
export function emptySlots(slotsPerColor: number): BackendSlots {
  const out: BackendSlots = {};
  for (const color of ['blue', 'green'] as const) for (const s of slotNames(color, slotsPerColor)) out[s] = { ...PLACEHOLDER_SERVER, state: 'maint' };
  return out;
}

/** The ready slots, which a rendered config declares enabled. */
export function servingSlots(slots: BackendSlots): SlotAssignment[] {
  return Object.entries(slots)
    .filter(([, s]) => s.state === 'ready')
    .map(([slot, s]) => ({ slot, addr: s.addr, port: s.port }));
}
