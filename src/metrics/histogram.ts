// Response-time percentiles (pure). HAProxy's stats give only an average over the last 1024
// requests, so Slipway times every request from HAProxy's access log (one short UDP line per
// request, see src/proxy/access-log.ts) into a log-bucketed histogram per backend and interval:
// buckets grow by 10 %, so a percentile is exact to within 5 % whatever the request rate, in
// bounded memory (~150 counters per backend), as HdrHistogram and Prometheus' native histograms do.

const GROWTH = 1.1;
/** Bucket 0 holds [0, 1 ms); bucket i ≥ 1 holds [GROWTH^(i-1), GROWTH^i) ms. */
function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return 1 + Math.floor(Math.log(ms) / Math.log(GROWTH));
}
/** A bucket's representative value: the geometric middle of its bounds. */
function valueOf(bucket: number): number {
  if (bucket === 0) return 0.5;
  return Math.pow(GROWTH, bucket - 0.5);
}

export class Histogram {
  private readonly counts = new Map<number, number>();
  count = 0;

  record(ms: number): void {
    const b = bucketOf(ms);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.count++;
  }

  /** The value under which a fraction `q` (0–1) of the recorded values fall; null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return valueOf(b);
    }
    return null;
  }
}
