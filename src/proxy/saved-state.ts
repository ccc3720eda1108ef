// What the proxy adapter keeps on disk besides HAProxy's own config and map file: the declared
// backends and the shape of the config HAProxy last loaded (to know whether a reload is due).
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { BackendSpec, ListenerSpec } from './haproxy-config.js';

export interface SavedState {
  backends: BackendSpec[];
  /** Ports-plugin listeners (absent in files written before they existed). */
  listeners: ListenerSpec[];
  /** Hash of the config shape (everything but slot states) HAProxy last loaded. */
  loadedShape: string | null;
}

export async function loadSavedState(file: string, logger: Logger): Promise<SavedState> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return { backends: [], listeners: [], loadedShape: null };
  try {
    const s = JSON.parse(text) as Partial<SavedState>;
    return {
      backends: Array.isArray(s.backends) ? s.backends : [],
      listeners: Array.isArray(s.listeners) ? s.listeners : [],
      loadedShape: typeof s.loadedShape === 'string' ? s.loadedShape : null,
    };
  } catch (e) {
    // Losing it costs one extra reload and re-declaring backends; not worth refusing to start.
    logger.warn('ignoring unreadable proxy state file', { file, error: (e as Error).message });
    return { backends: [], listeners: [], loadedShape: null };
  }
}

export function saveState(file: string, s: SavedState): Promise<void> {
  return writeAtomic(file, JSON.stringify(s, null, 2) + '\n');
}

/** HAProxy reads these files at (re)load: it must never see half of one. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
}
