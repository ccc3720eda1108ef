// The logs stage: finds every Slipway container (running, or exited with lines not yet
// shipped), follows each one and every new one, stores build/deploy output, answers queries
// and live follows, prunes by age and size, and forwards to Loki when configured.
import { EventEmitter, once, setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { type Config, dataPaths } from '../config.js';
import { DockerLogs } from '../docker/logs.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { type LogEntry, type LogFilters, type LogSink, isoNano } from './entry.js';
import { LABELS } from '../domain.js';
import { declaredLogFiles, type ReleaseServices } from './file-mounts.js';
import { LokiSink, forwardToSink } from './loki.js';
import type { AppRetention } from './retention.js';
import type { LogSource, ShippedContainer } from './ports.js';
import { shipContainer, type ShipperDeps } from './shipper.js';
import { LogStore } from './store.js';
import { BatchWriter, DEFAULT_WRITER, type WriterOptions } from './writer.js';

export interface LogServiceDeps {
  docker: Docker;
  config: Config;
  logger: Logger;
  /** Replaces the Docker adapter (tests). */
  source?: LogSource;
  /** Extra sinks fed from the store; default: Loki when `config.lokiUrl` is set. */
  sinks?: { name: string; sink: LogSink }[];
  writer?: Partial<WriterOptions>;
  filePollMs?: number;
  pruneEveryMs?: number;
  /** Which apps' containers this Slipway ships (its own); default: every Slipway container. */
  ownsApp?: (app: string) => boolean;
  /** An app's own retention (apps:log-retention); default: the config's per-app limits. */
  retentionFor?: (app: string) => AppRetention;
  /** A stored release's services, which say which log files to tail; without it none are. */
  servicesOf?: ReleaseServices;
}

const MiB = 1024 * 1024;

/** Where the pipeline writes its output, line by line (service `build` or `deploy`). */
export interface LogLineWriter {
  write(text: string): void;
  /** Resolves when every line written so far is stored. */
  flush(): Promise<void>;
}

interface Following {
  again: boolean;
  done: Promise<void>;
}

export class LogService {
  private store: LogStore | null = null;
  private writer: BatchWriter | null = null;
  private readonly source: LogSource;
  private readonly committed = new EventEmitter();
  private version = 0;
  /** Lines written to the store since start (slipway_log_lines_shipped_total). */
  linesShipped = 0;
  private readonly following = new Map<string, Following>();
  private abort = new AbortController();
  private background: Promise<void>[] = [];

  constructor(private readonly deps: LogServiceDeps) {
    this.source = deps.source ?? new DockerLogs(deps.docker);
    this.committed.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const file = dataPaths(this.deps.config).logsDb;
    mkdirSync(path.dirname(file), { recursive: true });
    const store = (this.store = new LogStore(file));
    this.abort = new AbortController();
    // Every shipped container waits on this one signal; many at once is normal, not a leak.
    setMaxListeners(0, this.abort.signal);
    this.writer = new BatchWriter(
      (c) => {
        store.commit(c);
        this.linesShipped += c.entries.length;
        this.version++;
        this.committed.emit('commit');
      },
      (e) => this.deps.logger.error('log store write failed; retrying', { error: errorMessage(e) }),
      { ...DEFAULT_WRITER, ...this.deps.writer },
    );
    // Subscribe before listing, so a container started in between is not missed.
    this.background.push(this.watchStarts());
    await this.discover();
    this.background.push(this.pruneLoop());
    for (const s of this.sinks()) this.background.push(this.forward(s.name, s.sink));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.following.values()].map((f) => f.done));
    await Promise.allSettled(this.background);
    this.background = [];
    await this.writer?.flush().catch((e: unknown) => this.deps.logger.error('log store flush failed', { error: errorMessage(e) }));
    this.writer?.close();
    this.store?.close();
    this.store = null;
    this.writer = null;
  }

  /** Stores one line of build/deploy output (or any line the platform itself produces). */
  async append(e: Omit<LogEntry, 'ts' | 'container' | 'release'> & Partial<Pick<LogEntry, 'ts' | 'container' | 'release'>>): Promise<void> {
    const entry: LogEntry = {
      ts: e.ts ?? isoNano(new Date()),
      app: e.app,
      service: e.service,
      container: e.container ?? '',
      stream: e.stream,
      release: e.release ?? null,
      line: e.line,
    };
    await this.requireWriter().write({ entries: [entry] });
  }

  /** A per-line writer for the pipeline: `lineWriter({app, service: 'build', release: 7})`. */
  lineWriter(to: { app: string; service: 'build' | 'deploy'; release?: number | null }): LogLineWriter {
    let pending: Promise<void> = Promise.resolve();
    return {
      write: (text) => {
        for (const line of text.replace(/\r?\n$/, '').split(/\r?\n/)) {
          const p = this.append({ app: to.app, service: to.service, stream: to.service, release: to.release ?? null, line });
          pending = pending.then(() => p);
        }
        pending = pending.catch((e: unknown) => {
          this.deps.logger.warn('build/deploy log line not stored', { error: errorMessage(e) });
        });
      },
      flush: async () => {
        await pending;
        await this.writer?.flush();
      },
    };
  }

  /** The last `limit` (default 100) matching lines, oldest first. */
  query(filters: LogFilters): LogEntry[] {
    return this.requireStore().query(filters).map(toEntry);
  }

  /**
   * Lines stored after the call that match `filters`, as they arrive, until `signal` aborts.
   * `backlog` first yields that many of the latest matching lines, with no gap before the live ones.
   */
  async *follow(filters: LogFilters, signal: AbortSignal, backlog = 0): AsyncIterable<LogEntry> {
    const store = this.requireStore();
    // Both read in the same tick: nothing can be committed between them.
    let cursor = store.lastId();
    const earlier = backlog > 0 ? store.query({ ...filters, limit: backlog }) : [];
    for (const e of earlier) {
      if (signal.aborted) return;
      yield toEntry(e);
    }
    while (!signal.aborted && this.store) {
      const seen = this.version;
      const rows = this.store.after(cursor, { ...filters, limit: undefined }, 500);
      for (const r of rows) {
        cursor = r.id;
        yield toEntry(r);
      }
      if (rows.length || this.version !== seen) continue;
      await once(this.committed, 'commit', { signal }).catch(() => undefined);
    }
  }

  /** Retention now (also runs periodically): each app within its limits, then the whole store. */
  prune(now = new Date()): number {
    const { logRetentionDays, logRetentionMb, appLogRetentionMb } = this.deps.config;
    const app = this.deps.retentionFor ?? (() => ({ maxAgeDays: logRetentionDays, maxBytes: appLogRetentionMb * MiB }));
    return this.requireStore().prune(now, { maxBytes: logRetentionMb * MiB, app });
  }

  /** About how many bytes of the store an app's lines take. */
  appBytes(app: string): number {
    return this.requireStore().appBytes(app);
  }

  /** Deletes a destroyed app's lines and checkpoints (its containers and volumes must be gone). */
  async forgetApp(app: string, containers: string[], volumes: string[]): Promise<number> {
    // Their shippers end with the containers; lines still on the way must not outlive the delete.
    await Promise.allSettled(containers.map((id) => this.following.get(id)?.done));
    await this.flush();
    return this.requireStore().forgetApp(app, containers, volumes);
  }

  /**
   * Resolves once everything container `id` wrote is in the store (it stopped and was read to its
   * end): true, or false after `timeoutMs`. A job's container is removed only after this.
   */
  async whenShipped(id: string, timeoutMs = 10_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const f = this.following.get(id);
      if (f) await Promise.race([f.done, sleep(Math.max(0, until - Date.now()))]);
      await this.writer?.flush();
      if (this.store?.containerCheckpoint(id)?.done) return true;
      if (Date.now() >= until || !this.store) return false;
      await sleep(50);
    }
  }

  /** Waits until everything shipped so far is in the store (tests, shutdown). */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  private async discover(): Promise<void> {
    for (const c of await this.source.list(LABELS.app)) {
      // An exited container is shipped unless it was shipped to its end already.
      if (c.running || !this.requireStore().containerCheckpoint(c.id)?.done) this.ship(c);
    }
  }

  private ship(c: ShippedContainer): void {
    // Another Slipway on the same engine (tests, a second data dir) ships its own apps.
    if (this.deps.ownsApp && !this.deps.ownsApp(c.labels[LABELS.app] ?? '')) return;
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
    f.done = shipContainer(c, this.shipperDeps(), this.abort.signal, again)
      .catch((e: unknown) => {
        this.deps.logger.error('log shipping stopped', { container: c.name, error: errorMessage(e) });
      })
      .finally(() => this.following.delete(c.id));
    this.following.set(c.id, f);
  }

  private shipperDeps(): ShipperDeps {
    const writer = this.requireWriter();
    const store = this.requireStore();
    return {
      source: this.source,
      logger: this.deps.logger,
      write: (item) => writer.write(item),
      flush: () => writer.flush(),
      containerCheckpoint: (id) => store.containerCheckpoint(id),
      fileCheckpoints: (v) => store.fileCheckpoints(v),
      filePollMs: this.deps.filePollMs ?? 500,
      logFiles: (c) => (this.deps.servicesOf ? declaredLogFiles(c, this.deps.servicesOf) : []),
    };
  }

  /** Follows container start events; on a broken event stream, reconnects and re-lists. */
  private async watchStarts(): Promise<void> {
    const signal = this.abort.signal;
    let first = true;
    while (!signal.aborted) {
      try {
        if (!first) await this.discover();
        first = false;
        for await (const id of this.source.starts(LABELS.app, signal)) {
          const c = await this.source.inspect(id);
          if (c) this.ship(c);
        }
      } catch (e) {
        if (signal.aborted) return;
        this.deps.logger.warn('docker events stream failed; reconnecting', { error: errorMessage(e) });
      }
      await sleep(1000, undefined, { signal }).catch(() => undefined);
    }
  }

  private async pruneLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const n = this.prune();
        if (n) this.deps.logger.info('log retention pruned lines', { lines: n });
      } catch (e) {
        this.deps.logger.warn('log retention failed', { error: errorMessage(e) });
      }
      await sleep(this.deps.pruneEveryMs ?? 10 * 60_000, undefined, { signal }).catch(() => undefined);
    }
  }

  private sinks(): { name: string; sink: LogSink }[] {
    if (this.deps.sinks) return this.deps.sinks;
    const url = this.deps.config.lokiUrl;
    return url ? [{ name: 'loki', sink: new LokiSink(url) }] : [];
  }

  private forward(name: string, sink: LogSink): Promise<void> {
    const store = this.requireStore();
    return forwardToSink({
      name,
      sink,
      store,
      signal: this.abort.signal,
      logger: this.deps.logger,
      changed: (signal) => once(this.committed, 'commit', { signal }).then(() => undefined),
    });
  }

  private requireStore(): LogStore {
    if (!this.store) throw new Error('LogService is not started');
    return this.store;
  }

  private requireWriter(): BatchWriter {
    if (!this.writer) throw new Error('LogService is not started');
    return this.writer;
  }
}

function toEntry(r: LogEntry & { id?: number }): LogEntry {
  return { ts: r.ts, app: r.app, service: r.service, container: r.container, stream: r.stream, release: r.release, line: r.line };
}
