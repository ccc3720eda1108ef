// How long samples are kept, at which resolution (pure): raw samples for a while, then averages
// over fixed buckets (1 minute for 7 days, 10 minutes for 30 days by default).
import { parseDurationMs } from '../config.js';

export interface Tier {
  /** 0 for raw samples, then 1, 2… for each rollup. */
  tier: number;
  /** Bucket width in ms (0 for raw). */
  bucketMs: number;
  keepMs: number;
}

/** `1m:7d,10m:30d` with the raw retention → tiers, finest first. Buckets must grow and each
 *  must be a multiple of the one before (a rollup is made of whole rollups of the tier below). */
export function parseTiers(rawKeepMs: number, rollups: string): Tier[] {
  const tiers: Tier[] = [{ tier: 0, bucketMs: 0, keepMs: rawKeepMs }];
  for (const part of rollups.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [b, k] = part.split(':');
    const bucketMs = parseDurationMs(b);
    const keepMs = parseDurationMs(k);
    if (!bucketMs || !keepMs) throw new Error(`metrics rollup ${JSON.stringify(part)}: expected BUCKET:KEEP such as 1m:7d`);
    const prev = tiers.at(-1)!;
    if (prev.bucketMs && (bucketMs <= prev.bucketMs || bucketMs % prev.bucketMs !== 0))
      throw new Error(`metrics rollup ${part}: each bucket must be a larger multiple of the one before`);
    tiers.push({ tier: tiers.length, bucketMs, keepMs });
  }
  return tiers;
}

/** The finest tier that still holds samples from `since` (the coarsest when none does). */
export function tierFor(tiers: Tier[], now: number, since: number): Tier {
  return tiers.find((t) => now - since <= t.keepMs) ?? tiers.at(-1)!;
}
