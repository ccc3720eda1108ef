// Finds the containers to ship on one engine — those there now (running, or exited with lines
// not yet shipped) and every one that starts later — and ships each with one shipper at a
// time. The server's log stage uses it on its own engine; each swarm node's agent on its node.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { LogSource, ShippedContainer } from './ports.js';
import { shipContainer, type ShipperDeps } from './shipper.js';

export interface FollowerDeps {
  source: LogSource;
  /** Docker label filter of the containers to consider (`slipway.app`, `slipway.engine=swarm`). */
  label: string;
  logger: Logger;
  /** Whether to ship this container now (ownership; an exited one shipped to its end is not). */
  wants(c: ShippedContainer): boolean | Promise<boolean>;
  shipper(): ShipperDeps;
}

interface Following {
  again: boolean;
  done: Promise<void>;
}

export class ContainerFollower {
  private readonly following = new Map<string, Following>();
  private watching: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: FollowerDeps,
    private readonly signal: AbortSignal,
  ) {}

  /** Resolves once the containers there now are being shipped; follows new ones until abort. */
  async start(): Promise<void> {
    // Subscribe before listing, so a container started in between is not missed.
    this.watching = this.watchStarts();
    await this.discover();
  }

  /** Resolves when every shipper and the watch have ended (after the signal aborted). */
  async stopped(): Promise<void> {
    await Promise.allSettled([...this.following.values()].map((f) => f.done));
    await this.watching;
  }

  /** While container `id` is being shipped: resolves when its shipper ends. */
  shipping(id: string): Promise<void> | undefined {
    return this.following.get(id)?.done;
  }

  private async discover(): Promise<void> {
    for (const c of await this.deps.source.list(this.deps.label)) if (await this.deps.wants(c)) this.ship(c);
  }

  private ship(c: ShippedContainer): void {
    const current = this.following.get(c.id);
    if (current) {
      current.again = true;
      return;
    }
    const f: Following = { again: false, done: Promise.resolve() };
    const again = () => {
      const was = f.again;
      f.again = false;
      return was;
    };
    f.done = shipContainer(c, this.deps.shipper(), this.signal, again)
      .catch((e: unknown) => {
        this.deps.logger.error('log shipping stopped', { container: c.name, error: errorMessage(e) });
      })
      .finally(() => this.following.delete(c.id));
    this.following.set(c.id, f);
  }

  /** Follows container start events; on a broken event stream, reconnects and re-lists. */
  private async watchStarts(): Promise<void> {
    const { signal } = this;
    let first = true;
    while (!signal.aborted) {
      try {
        if (!first) await this.discover();
        first = false;
        for await (const id of this.deps.source.starts(this.deps.label, signal)) {
          const c = await this.deps.source.inspect(id);
          if (c && (await this.deps.wants(c))) this.ship(c);
        }
      } catch (e) {
        if (signal.aborted) return;
        this.deps.logger.warn('docker events stream failed; reconnecting', { error: errorMessage(e) });
      }
      await sleep(1000, undefined, { signal }).catch(() => undefined);
    }
  }
}
