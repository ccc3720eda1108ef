// What a node agent and the server say to each other, as JSON. Logs: shipped items numbered per
// agent run (the server commits each once), and the checkpoints an agent resumes from (container
// checkpoints carry bytes of split lines, sent as base64). Metrics: the rows of its samples.
import { z } from 'zod';
import type { ContainerCheckpoint, FileCheckpoint, LogEntry } from '../../logs/entry.js';
import type { WriteItem } from '../../logs/writer.js';

const b64 = z.string().nullable();
const checkpoint = z.object({
  container: z.string(),
  ts: z.string(),
  count: z.number().int().min(0),
  pending: z.object({ stdout: b64, stderr: b64 }),
  done: z.boolean(),
});
const fileCheckpoint = z.object({ volume: z.string(), inode: z.string(), path: z.string(), offset: z.number().int().min(0) });
const entry = z.object({
  ts: z.string(),
  app: z.string(),
  service: z.string(),
  container: z.string(),
  stream: z.string(),
  release: z.number().int().nullable(),
  line: z.string(),
});
const item = z.object({
  seq: z.number().int().min(1),
  entries: z.array(entry),
  container: checkpoint.optional(),
  file: fileCheckpoint.optional(),
  fileGone: z.object({ volume: z.string(), inode: z.string() }).optional(),
});

export const logsBody = z.object({ run: z.string().regex(/^[A-Za-z0-9-]{8,64}$/), items: z.array(item).max(100_000) });
export const checkpointsBody = z.object({ containers: z.array(z.string()).max(10_000), volumes: z.array(z.string()).max(10_000) });
export type WireItem = z.infer<typeof item>;
export type WireCheckpoint = z.infer<typeof checkpoint>;

const enc = (b: Buffer | null) => (b ? b.toString('base64') : null);
const dec = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'));

export function encodeCheckpoint(c: ContainerCheckpoint): WireCheckpoint {
  return { ...c, pending: { stdout: enc(c.pending.stdout), stderr: enc(c.pending.stderr) } };
}

export function decodeCheckpoint(c: WireCheckpoint): ContainerCheckpoint {
  return { ...c, pending: { stdout: dec(c.pending.stdout), stderr: dec(c.pending.stderr) } };
}

export function encodeItem(seq: number, i: WriteItem): WireItem {
  const out: WireItem = { seq, entries: i.entries };
  if (i.container) out.container = encodeCheckpoint(i.container);
  if (i.file) out.file = i.file;
  if (i.fileGone) out.fileGone = i.fileGone;
  return out;
}

export function decodeItem(w: WireItem): WriteItem & { seq: number } {
  const out: WriteItem & { seq: number } = { seq: w.seq, entries: w.entries as LogEntry[] };
  if (w.container) out.container = decodeCheckpoint(w.container);
  if (w.file) out.file = w.file as FileCheckpoint;
  if (w.fileGone) out.fileGone = w.fileGone;
  return out;
}

// Metrics: what the agent's collector read of its node's containers in one interval, as the
// metrics store's rows (the server stores them as its own collector's).
const n = z.number().min(0);
const containerRow = z.object({
  key: z.string().min(1).max(128),
  labels: z.object({ app: z.string(), service: z.string(), release: z.number().int().nullable(), color: z.string().nullable(), name: z.string() }),
  dur: n,
  cpuUs: n,
  mem: n,
  memLimit: n.nullable(),
  ioRead: n,
  ioWrite: n,
  netRx: n,
  netTx: n,
  restarts: z.number().int().min(0),
});
export const metricsBody = z.object({
  samples: z.array(z.object({ ts: z.number().int().min(0), rows: z.array(containerRow).max(10_000) })).max(1000),
});
export type MetricsSample = z.infer<typeof metricsBody>['samples'][number];
