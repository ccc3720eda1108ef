// The Engine's stats document (`GET /containers/ID/stats?stream=false`) → a Usage (pure). Used
// when a container's cgroup files can't be read (Slipway in a container without /sys/fs/cgroup,
// an unknown layout) and by bench/metrics as the baseline the cgroup reader is measured against.
import type { Usage } from './cgroup.js';

interface EngineStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

export function usageFromEngineStats(doc: unknown): Usage {
  const s = (doc ?? {}) as EngineStats;
  const mem = s.memory_stats ?? {};
  const inactive = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file ?? 0;
  let ioRead = 0;
  let ioWrite = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (/^read$/i.test(e.op)) ioRead += e.value;
    else if (/^write$/i.test(e.op)) ioWrite += e.value;
  }
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  const limit = mem.limit ?? 0;
  return {
    cpuSeconds: (s.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
    memoryWorkingSet: Math.max(0, (mem.usage ?? 0) - inactive),
    // The Engine reports the host's memory as the limit of an unlimited container.
    memoryLimit: limit > 0 && limit < 2 ** 62 ? limit : null,
    ioReadBytes: ioRead,
    ioWriteBytes: ioWrite,
    netRxBytes: rx,
    netTxBytes: tx,
  };
}
