// When an attempt's container has exited, from two sources: the Engine's `die` event (early:
// Docker 20.10 answers the wait API only after cleaning up the exited container) and the wait
// API (authoritative, never misses). Pure.

/**
 * Resolves with the exit code: at once on a `die` event saying 0 (the process is gone and
 * succeeded; dependents may start), otherwise with the wait API's code. A non-zero `die` code is
 * not taken: when the Engine cannot read the task's status it reports 255 there while the
 * recorded exit code is the real one, and a failure's retry waits seconds of back-off anyway.
 */
export function exitCode(die: Promise<number>, waited: Promise<number>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    die.then((code) => code === 0 && resolve(0), () => undefined);
    waited.then(resolve, reject);
  });
}
