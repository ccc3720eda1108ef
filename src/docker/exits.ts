// The Engine's `die` events for containers carrying a label, on one event stream shared by all
// the containers being watched. Docker 20.10 (Debian's docker.io) emits `die` before it cleans up
// the exited container (network endpoint, mounts) while holding the container's lock, and the
// wait API answers only after that clean-up (seen 0.1–1 s later under heavy load; within a few ms
// on 2026-11-30's bench/jobs, where the Engine's own start-up of the dependents was the delay).
// A reconnect asks for the events since shortly before the drop (`since`), so an exit during the
// gap is replayed; still, this is a fast path next to the wait API, never instead of it.
import type Dockerode from 'dockerode';
import { containerEvents, type ContainerEvent } from './events.js';

/** How long the stream stays open with nothing watched (per-second schedules keep it open). */
const LINGER_MS = 30_000;
const RECONNECT_MS = 500;
/** How far before a drop a reconnect replays from (events in flight when the stream broke). */
const REPLAY_MS = 2000;
/** A start waits at most this long for the stream to subscribe (then only the wait API tells). */
const READY_MS = 5000;

export class ContainerExits {
  private readonly watched = new Map<string, (code: number) => void>();
  private holds = 0;
  private abort: AbortController | null = null;
  private live: Promise<void> = Promise.resolve();
  private linger: NodeJS.Timeout | null = null;

  /** `label` filters the events (`slipway.kind=job`). */
  constructor(
    private readonly docker: Dockerode,
    private readonly label: string,
  ) {}

  /** Keeps the stream open until the returned function is called (a run holds it to its end). */
  hold(): () => void {
    this.holds++;
    this.open();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.idle();
    };
  }

  /** Resolves once the stream is subscribed, or its attempt failed or is slow (then only the wait API tells). */
  ready(): Promise<void> {
    let timer!: NodeJS.Timeout;
    const slow = new Promise<void>((r) => (timer = setTimeout(r, READY_MS)));
    return Promise.race([this.live, slow]).finally(() => clearTimeout(timer));
  }

  /**
   * The exit code of `id`'s next `die` event. Watch before starting the container. Never
   * resolves if the stream misses the event: race it with the wait API, then `forget(id)`.
   */
  next(id: string): Promise<number> {
    this.open();
    return new Promise<number>((resolve) => this.watched.set(id, resolve));
  }

  forget(id: string): void {
    this.watched.delete(id);
    this.idle();
  }

  /** Closes the stream now (shutdown); watchers left fall back to the wait API. */
  close(): void {
    this.watched.clear();
    this.holds = 0;
    this.stopStream();
  }

  private open(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    if (this.abort) return;
    const abort = (this.abort = new AbortController());
    let subscribed!: () => void;
    this.live = new Promise<void>((r) => (subscribed = r));
    void this.follow(abort.signal, subscribed);
  }

  private idle(): void {
    if (this.holds > 0 || this.watched.size > 0 || !this.abort || this.linger) return;
    this.linger = setTimeout(() => {
      this.linger = null;
      if (this.holds === 0 && this.watched.size === 0) this.stopStream();
    }, LINGER_MS);
    this.linger.unref();
  }

  private stopStream(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.abort?.abort();
    this.abort = null;
    this.live = Promise.resolve();
  }

  /**
   * Reads the stream until aborted; after a drop, reconnects and replays from just before it.
   * `subscribed` after the first try.
   */
  private async follow(signal: AbortSignal, subscribed: () => void): Promise<void> {
    const openedAt = Date.now();
    let since: number | undefined; // replay from here on the next connect; undefined: live only
    while (!signal.aborted) {
      let connected = false;
      try {
        const events = await containerEvents(this.docker, { event: ['die'], label: [this.label], sinceMs: since }, signal);
        connected = true;
        subscribed();
        for await (const ev of events) {
          const code = dieExitCode(ev);
          if (code !== null) this.watched.get(ev.id)?.(code);
        }
      } catch {
        // Dropped, or could not connect: reconnect below; until then only the wait API tells.
      }
      // After a drop, replay from just before it; after a failed connect, keep the older point.
      since = connected ? Date.now() - REPLAY_MS : (since ?? openedAt - REPLAY_MS);
      subscribed();
      if (!signal.aborted) await new Promise((r) => setTimeout(r, RECONNECT_MS).unref());
    }
  }
}

/** The exit code a `die` event reports, or null for anything else. */
export function dieExitCode(ev: ContainerEvent): number | null {
  const code = ev.attributes.exitCode ?? '';
  return ev.action === 'die' && /^-?\d+$/.test(code) ? Number(code) : null;
}
