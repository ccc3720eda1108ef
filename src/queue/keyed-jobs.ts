// A BullMQ queue of jobs named by a key, at most one waiting or running per key (certificate
// issuance: one job per domain). The job's outcome and back-off belong to the caller, who keeps
// them in the state DB; a job lost with Redis is found again by the caller's next scan.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

export interface KeyedJobsDeps {
  redisUrl: string;
  prefix: string;
  /** Queue name, e.g. `certs`. */
  name: string;
  run(key: string): Promise<void>;
  logger: Logger;
  concurrency?: number;
}

export class KeyedJobs {
  private readonly connection: Redis;
  private readonly queue: Queue<{ key: string }>;
  private worker?: Worker<{ key: string }>;
  private workerConnection?: Redis;

  constructor(private readonly deps: KeyedJobsDeps) {
    this.connection = new Redis(deps.redisUrl, { maxRetriesPerRequest: null });
    this.connection.on('error', (e) => deps.logger.warn('redis connection error', { queue: deps.name, error: e.message }));
    this.queue = new Queue(deps.name, { connection: this.connection, prefix: deps.prefix });
  }

  /** Queues a job for `key` unless one is already waiting or running (the job id is the key). */
  async add(key: string): Promise<void> {
    // BullMQ job ids may not contain ':'; the keys here are domain names.
    await this.queue.add(this.deps.name, { key }, { jobId: `${this.deps.name}-${key.replace(/:/g, '_')}`, removeOnComplete: true, removeOnFail: true });
  }

  start(): void {
    this.workerConnection = this.connection.duplicate();
    this.worker = new Worker(this.deps.name, (job) => this.deps.run(job.data.key), {
      connection: this.workerConnection,
      prefix: this.deps.prefix,
      concurrency: this.deps.concurrency ?? 1,
    });
    this.worker.on('error', (e) => this.deps.logger.warn('job worker error', { queue: this.deps.name, error: errorMessage(e) }));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.workerConnection?.disconnect();
    this.connection.disconnect();
  }
}
