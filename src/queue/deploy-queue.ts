// The deploy queue (BullMQ on Redis): every deploy — push, webhook, CLI upload, rollback,
// config or scale change — is a job naming a deployment row. Jobs survive restarts of Slipway
// and Redis; transient failures retry with backoff, user errors never; one pipeline per app
// at a time, and a queued code deploy superseded by a newer one is skipped.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DiskFullError, TransientError, UserError, errorMessage, isDiskFull } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeploymentRow, Deployments } from '../state/deployments.js';
import type { DeployProgress, Outcome } from './progress.js';

export interface DeployJob {
  deploymentId: number;
}

/** Runs one deployment to its end; throws UserError or TransientError on failure. */
export type RunDeployment = (d: DeploymentRow, progress: (line: string) => void) => Promise<{ release?: number }>;

export interface DeployQueueDeps {
  redisUrl: string;
  prefix: string;
  deployments: Deployments;
  progress: DeployProgress;
  run: RunDeployment;
  logger: Logger;
  concurrency?: number;
}

const QUEUE = 'deploys';

export class DeployQueue {
  private readonly connection: Redis;
  private readonly queue: Queue<DeployJob>;
  private worker?: Worker<DeployJob>;
  private workerConnection?: Redis;
  /** Apps with a deployment running, and their waiting deployments, lowest id first. */
  private readonly busy = new Map<number, { id: number; wake: () => void }[]>();

  constructor(private readonly deps: DeployQueueDeps) {
    this.connection = new Redis(deps.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    let lost = false;
    this.connection.on('error', (e) => {
      lost = true;
      deps.logger.warn('redis connection error', { error: e.message });
    });
    // A Redis that restarted may have lost the newest jobs (e.g. no append-only fsync yet); the
    // state DB still lists them as queued, and enqueueing is idempotent, so put them back.
    this.connection.on('ready', () => {
      if (!lost) return;
      lost = false;
      this.resumeQueued().then(
        (n) => n && deps.logger.info('re-queued deployments after Redis came back', { count: n }),
        (e: unknown) => deps.logger.warn('could not re-queue deployments', { error: errorMessage(e) }),
      );
    });
    this.queue = new Queue<DeployJob>(QUEUE, { connection: this.connection, prefix: deps.prefix });
  }

  async enqueue(d: DeploymentRow): Promise<void> {
    // jobId makes enqueueing idempotent: re-adding after a restart never duplicates a deploy.
    // The creation time is in it because a state DB made anew numbers deployments from 1 again
    // while Redis still holds the old jobs.
    await this.queue.add(
      'deploy',
      { deploymentId: d.id },
      {
        jobId: `deployment-${d.id}-${Date.parse(d.createdAt)}`,
        attempts: 4,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: 1000,
        removeOnFail: 1000,
      },
    );
  }

  start(): void {
    // BullMQ never closes a connection it is given; close() does.
    this.workerConnection = this.connection.duplicate();
    this.worker = new Worker<DeployJob>(QUEUE, (job) => this.process(job), {
      connection: this.workerConnection,
      prefix: this.deps.prefix,
      concurrency: this.deps.concurrency ?? 8,
      // A job that was active when Slipway died is not re-run blindly: start-up reconciliation
      // marks its deployment interrupted, and the stalled job fails.
      maxStalledCount: 0,
      stalledInterval: 15_000,
    });
    this.worker.on('error', (e) => this.deps.logger.warn('deploy worker error', { error: errorMessage(e) }));
  }

  /** Re-enqueues deployments still queued in the state DB (e.g. Redis lost its data). */
  async resumeQueued(): Promise<number> {
    const queued = this.deps.deployments.queued();
    for (const d of queued) await this.enqueue(d);
    return queued.length;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.workerConnection?.disconnect();
    this.connection.disconnect();
  }

  private async process(job: Job<DeployJob>): Promise<void> {
    const first = this.deps.deployments.get(job.data.deploymentId);
    if (first.status !== 'queued') return; // already handled (redelivered or reconciled)
    await this.turn(first.appId, first.id);
    try {
      await this.runLocked(job);
    } finally {
      this.next(first.appId);
    }
  }

  /** Resolves when it is this deployment's turn: one per app at a time, in the order they were
   *  made (the worker may pick up two waiting jobs in either order). */
  private turn(appId: number, id: number): Promise<void> {
    const waiting = this.busy.get(appId);
    if (!waiting) {
      this.busy.set(appId, []);
      return Promise.resolve();
    }
    return new Promise((wake) => {
      waiting.push({ id, wake });
      waiting.sort((a, b) => a.id - b.id);
    });
  }

  private next(appId: number): void {
    const waiting = this.busy.get(appId);
    const n = waiting?.shift();
    if (n) n.wake();
    else this.busy.delete(appId);
  }

  private async runLocked(job: Job<DeployJob>): Promise<void> {
    const { deployments, progress, logger } = this.deps;
    const d = deployments.get(job.data.deploymentId);
    if (d.status !== 'queued') return;
    const out = progress.writer(d.id);
    const done = (o: Outcome) => progress.finish(d.id, o);
    if (['push', 'webhook', 'cli'].includes(d.trigger)) {
      const newer = deployments.newerQueuedCodeDeploy(d.appId, d.id);
      if (newer) {
        deployments.update(d.id, { status: 'superseded', error: `superseded by deployment ${newer.id}` });
        out(`-----> Skipped: a newer push (deployment ${newer.id}, ${newer.sha?.slice(0, 7) ?? ''}) is queued`);
        done({ status: 'superseded' });
        return;
      }
    }
    deployments.update(d.id, { status: 'running' });
    try {
      const result = await this.deps.run(d, out);
      deployments.update(d.id, { status: 'succeeded', releaseVersion: result.release ?? null });
      done({ status: 'succeeded', release: result.release });
    } catch (caught) {
      // A full disk anywhere on the way (a log, the state DB) is said as such, never retried.
      const e = isDiskFull(caught) && !(caught instanceof UserError) ? new DiskFullError('the deploy could not store its data', caught) : caught;
      const message = errorMessage(e);
      const retriable = !(e instanceof UserError) && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      if (retriable) {
        logger.warn('deploy failed, will retry', { deployment: d.id, error: message });
        out(` !     ${message} — retrying`);
        deployments.update(d.id, { status: 'queued' });
        throw e instanceof TransientError ? e : new TransientError(message);
      }
      // Recording the failure may itself fail (the state DB on a full disk): the outcome still
      // reaches everyone following this deploy.
      try {
        deployments.update(d.id, { status: 'failed', error: message });
      } catch (e2) {
        logger.error('could not record a failed deploy', { deployment: d.id, error: errorMessage(e2) });
      }
      for (const line of message.split('\n')) out(` !     ${line}`);
      done({ status: 'failed', error: message });
      if (e instanceof UserError) throw new UnrecoverableError(message);
      throw e;
    }
  }
}
