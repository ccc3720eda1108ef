// What changes in the state as it happens (in this process): an app created or destroyed, a
// deployment queued, started or finished. The dashboard's live feed (GET /api/events) is built on
// it, so a browser is told instead of asking again and again.
import { EventEmitter } from 'node:events';
import type { Trigger } from '../domain.js';

export type Change =
  | { kind: 'app'; app: string; change: 'created' | 'destroyed' }
  | { kind: 'deployment'; app: string; id: number; trigger: Trigger; status: string; releaseVersion: number | null };

export class Changes {
  private readonly bus = new EventEmitter();

  constructor() {
    // One listener per open dashboard tab.
    this.bus.setMaxListeners(0);
  }

  emit(change: Change): void {
    this.bus.emit('change', change);
  }

  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (c: Change) => void): () => void {
    this.bus.on('change', listener);
    return () => this.bus.off('change', listener);
  }
}
