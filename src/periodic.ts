// Runs an async job every `intervalMs`, one run at a time (the next starts `intervalMs` after the
// last ended), until stopped; `stop()` waits for a run in progress. A failed run is reported and
// the next one still comes. The metrics collector and the autoscaler tick with it.
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  start(firstDelayMs = this.intervalMs): void {
    const tick = () => {
      this.running = this.run()
        .catch((e: unknown) => this.onError(e))
        .finally(() => {
          this.running = null;
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, firstDelayMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
