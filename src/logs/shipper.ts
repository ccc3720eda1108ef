// Ships one container: its stdout/stderr from the engine (resuming at its checkpoint) and its
// declared log files from their volumes, until the container has stopped and all is shipped.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { ContainerLines, type ContainerMeta } from './container-lines.js';
import type { ContainerCheckpoint, FileCheckpoint } from './entry.js';
import { LABELS } from '../domain.js';
import type { LogFileMount } from './file-mounts.js';
import { FileTail } from './file-tail.js';
import type { LogSource, ShippedContainer } from './ports.js';
import type { WriteItem } from './writer.js';

export interface ShipperDeps {
  source: LogSource;
  logger: Logger;
  write(item: WriteItem): Promise<void>;
  /** Waits until every queued line and checkpoint is in the store. */
  flush(): Promise<void>;
  containerCheckpoint(id: string): ContainerCheckpoint | null;
  fileCheckpoints(volume: string): FileCheckpoint[];
  /** How often declared log files are polled. */
  filePollMs: number;
  /** The container's declared log files (see declaredLogFiles); [] for none. */
  logFiles(c: ShippedContainer): LogFileMount[];
}

export function containerMeta(c: ShippedContainer): ContainerMeta {
  const release = Number(c.labels[LABELS.release]);
  return {
    id: c.id,
    app: c.labels[LABELS.app] ?? '',
    service: c.labels[LABELS.service] ?? c.labels[LABELS.kind] ?? 'run',
    container: c.name,
    release: Number.isInteger(release) ? release : null,
  };
}

/**
 * Ships until the container has stopped and everything it wrote is stored, or `signal` aborts.
 * `again()` says a start event arrived meanwhile (a restart): keep going instead of finishing.
 */
export async function shipContainer(c: ShippedContainer, deps: ShipperDeps, signal: AbortSignal, again: () => boolean): Promise<void> {
  const meta = containerMeta(c);
  const streamDone = { value: false };
  const files = tailFiles(c, meta, deps, signal, streamDone);
  let final: WriteItem | null = null;
  try {
    final = await shipStreams(meta, deps, signal, again);
  } finally {
    streamDone.value = true;
    await files;
  }
  // Marked done only after the files' last pass, so a crash in between ships them on restart.
  if (final) await deps.write(final);
}

/** Ships stdout/stderr to the container's end; returns the last lines and the `done` checkpoint. */
async function shipStreams(meta: ContainerMeta, deps: ShipperDeps, signal: AbortSignal, again: () => boolean): Promise<WriteItem | null> {
  let failures = 0;
  let drained = false;
  while (!signal.aborted) {
    // The previous run's last checkpoint may still be queued: read the stored one after it.
    await deps.flush();
    const lines = new ContainerLines(meta, deps.containerCheckpoint(meta.id));
    try {
      for await (const frames of deps.source.frames(meta.id, lines.checkpoint().ts || null, signal)) {
        const entries = lines.take(frames);
        await deps.write({ entries, container: lines.checkpoint() });
        failures = 0;
      }
    } catch (e) {
      if (signal.aborted) return null;
      deps.logger.warn('container log stream failed; resuming', { container: meta.container, error: errorMessage(e) });
    }
    if (signal.aborted) return null;
    const now = await deps.source.inspect(meta.id).catch(() => undefined);
    const restarted = again();
    if (now === null || (now && !now.running && !restarted && drained)) {
      // Stopped (or removed) and read to the end: a last line without a newline counts too.
      return { entries: lines.flush(), container: lines.checkpoint(true) };
    }
    if (now && !now.running && !restarted) {
      // Docker 20.10's json-file follow can end when the container stops although the reader
      // is behind (seen here: 60,000 lines short). Read once more from the checkpoint: on a
      // stopped container the engine reads the file to its end.
      drained = true;
      continue;
    }
    drained = false;
    // Still running (engine hiccup) or restarted: resume from the checkpoint after a pause.
    await sleep(Math.min(5000, 200 * 2 ** failures++), undefined, { signal }).catch(() => undefined);
  }
  return null;
}

async function tailFiles(c: ShippedContainer, meta: ContainerMeta, deps: ShipperDeps, signal: AbortSignal, streamDone: { value: boolean }): Promise<void> {
  const mounts = deps.logFiles(c);
  if (!mounts.length) return;
  const tails: FileTail[] = [];
  for (const mount of mounts) {
    const volume = await deps.source.volume(mount.volume).catch(() => null);
    if (!volume) {
      deps.logger.warn('log volume not found; its files are not shipped', { container: meta.container, volume: mount.volume });
      continue;
    }
    if (volume.app !== meta.app) {
      deps.logger.warn("log volume is not the container's app's; not tailed", { container: meta.container, volume: mount.volume, owner: volume.app });
      continue;
    }
    const hostDir = volume.path;
    await deps.flush();
    const onRefused = (file: string, why: string) => deps.logger.warn('log file not shipped', { container: meta.container, file, why });
    tails.push(new FileTail({ mount, hostDir, meta, checkpoints: deps.fileCheckpoints(mount.volume), write: deps.write, onRefused }));
  }
  const pass = async (final: boolean) => {
    for (const t of tails) {
      await t.poll(final).catch((e: unknown) => deps.logger.warn('log file tail failed', { container: meta.container, error: errorMessage(e) }));
    }
  };
  while (!signal.aborted && !streamDone.value) {
    await pass(false);
    await sleep(deps.filePollMs, undefined, { signal }).catch(() => undefined);
  }
  // The container stopped: what it wrote last is on disk now; ship it, unfinished lines too.
  if (!signal.aborted) await pass(true);
}
