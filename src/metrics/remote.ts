// The containers the swarm's node agents sample, as /metrics shows them (pure): their rows (what
// happened in each interval) summed into counters since Slipway started, gauges as last read.
// A container no agent has reported for a while (stopped, or its node lost) is dropped.
import type { ContainerReading } from './collector.js';
import type { ContainerRow } from './store.js';

export class RemoteReadings {
  private readonly byId = new Map<string, { reading: ContainerReading; seenAt: number }>();

  add(ts: number, rows: ContainerRow[]): void {
    for (const r of rows) {
      const c = this.byId.get(r.key)?.reading ?? {
        id: r.key,
        labels: r.labels,
        usage: { cpuSeconds: 0, memoryWorkingSet: 0, memoryLimit: null, ioReadBytes: 0, ioWriteBytes: 0, netRxBytes: 0, netTxBytes: 0 },
        restarts: 0,
        source: 'agent' as const,
      };
      const u = c.usage;
      u.cpuSeconds += r.cpuUs / 1e6;
      u.ioReadBytes += r.ioRead;
      u.ioWriteBytes += r.ioWrite;
      u.netRxBytes += r.netRx;
      u.netTxBytes += r.netTx;
      u.memoryWorkingSet = r.mem;
      u.memoryLimit = r.memLimit;
      c.restarts = r.restarts;
      c.labels = r.labels;
      this.byId.set(r.key, { reading: c, seenAt: Math.max(ts, this.byId.get(r.key)?.seenAt ?? 0) });
    }
  }

  /** Those reported since `since`; older ones are forgotten. */
  current(since: number): ContainerReading[] {
    const out: ContainerReading[] = [];
    for (const [id, c] of this.byId) {
      if (c.seenAt < since) this.byId.delete(id);
      else out.push(c.reading);
    }
    return out;
  }
}
