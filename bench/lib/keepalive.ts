// Keep-alive load for the zero-downtime benches: wrk -t2 -c20 in rounds, counting every request
// and every failed one (non-2xx answers and socket errors) until stopped.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** 5-s rounds in which wrk could not connect at all (nothing listened): each is downtime. */
  refusedRounds?: number;
}

/** One wrk run against `url` (Host header `host` when given); parses its summary. */
export async function wrkCounts(url: string, host: string | null, seconds: number): Promise<WrkResult> {
  const args = ['-t2', '-c20', `-d${seconds}s`, ...(host ? ['-H', `Host: ${host}`] : []), url];
  const { stdout } = await run('wrk', args);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  if (!Number.isFinite(requests)) throw new Error(`could not read wrk's summary:\n${stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { requests, non2xx, socketErrors };
}

/** Keeps wrk running in 5 s rounds until `stop()`; resolves to the totals. */
export function loadUntilStopped(url: string, host: string | null): { stop(): Promise<WrkResult> } {
  let loading = true;
  const totals: WrkResult = { requests: 0, non2xx: 0, socketErrors: 0 };
  const load = (async () => {
    while (loading) {
      const r = await wrkCounts(url, host, 5).catch((e: { stderr?: string }) => {
        // wrk gives up on a round whose first connections are refused: that round was downtime.
        if (!/unable to connect/.test(e.stderr ?? '')) throw e;
        totals.refusedRounds = (totals.refusedRounds ?? 0) + 1;
        return new Promise<WrkResult>((r) => setTimeout(() => r({ requests: 0, non2xx: 0, socketErrors: 0 }), 1000));
      });
      totals.requests += r.requests;
      totals.non2xx += r.non2xx;
      totals.socketErrors += r.socketErrors;
    }
  })();
  return {
    async stop() {
      loading = false;
      await load;
      return totals;
    },
  };
}
