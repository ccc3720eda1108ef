// The deploy queue (BullMQ on Redis): every deploy — push, webhook, CLI upload, rollback,
// config or scale change — is a job naming a deployment row. Jobs survive restarts of Slipway
// and Redis; transient failures retry with backoff, user errors never; one pipeline per app
// at a time, and a queued code deploy superseded by a newer one is skipped. Each attempt runs
// under a deadline (SLIPWAY_DEPLOY_TIMEOUT). A deployment waiting for its app's turn holds no
// worker slot: it is parked in BullMQ's delayed set and promoted when the app's deploy ends.
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DiskFullError, Superseded, TransientError, UserError, errorMessage, isDiskFull } from '../errors.js';
import { DeployDeadline } from '../deadline.js';
import type { Logger } from '../log.js';
import type { DeploymentRow, Deployments } from '../state/deployments.js';
import type { DeployProgress, Outcome } from './progress.js';

export interface DeployJob {
  deploymentId: number;
}

/** Runs one deployment to its end; throws UserError or TransientError on failure. The work
 *  must stop when `deadline.signal` aborts (its reason is the error to fail with). */
export type RunDeployment = (d: DeploymentRow, progress: (line: string) => void, deadline: DeployDeadline) => Promise<{ release?: number }>;

export interface DeployQueueDeps {
  redisUrl: string;
  prefix: string;
  deployments: Deployments;
  progress: DeployProgress;
  run: RunDeployment;
  logger: Logger;
  concurrency?: number;
  /** SLIPWAY_DEPLOY_TIMEOUT: the deadline of each attempt (default 30 min). */
  deployTimeoutSeconds?: number;
  /** How long a parked deployment waits before it looks again if nobody promotes it. */
  parkMs?: number;
  /** Called once a deployment's outcome is final (never after an attempt that will be retried):
   *  what it kept for retries (its upload) can go. */
  finished?: (d: DeploymentRow) => void;
}

const QUEUE = 'deploys';

export class DeployQueue {
  private readonly connection: Redis;
  private readonly queue: Queue<DeployJob>;
  private worker?: Worker<DeployJob>;
  private workerConnection?: Redis;
  /** Per app, the deployment running now. */
  private readonly running = new Map<number, number>();
  /** Per app, its parked deployments (deployment id → job id): waiting for their turn, in Redis's
   *  delayed set rather than in a worker slot. */
  private readonly parked = new Map<number, Map<number, string>>();

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

  /**
   * Start-up: a Redis that refuses Slipway's credentials is a configuration error, said at once
   * (otherwise every push would wait for a connection that never becomes ready). A Redis that is
   * down or slow is waited for `ms`, then left to reconnect in the background.
   */
  async verifyRedis(ms = 10_000): Promise<void> {
    if (this.connection.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        this.connection.off('ready', done);
        this.connection.off('error', refused);
      };
      const done = () => {
        settle();
        resolve();
      };
      const refused = (e: Error) => {
        if (!/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(e.message)) return;
        settle();
        const where = new URL(this.deps.redisUrl);
        reject(new UserError(`Redis at ${where.host} refused Slipway: ${e.message}. ${where.password ? 'Its password is not the one Slipway has' : 'It requires a password Slipway does not have'}: put it in SLIPWAY_REDIS_PASSWORD_FILE (default DATA/redis.password, which scripts/infra.sh writes) or in SLIPWAY_REDIS_URL`));
      };
      const timer = setTimeout(done, ms);
      this.connection.on('ready', done);
      this.connection.on('error', refused);
    });
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
    this.worker = new Worker<DeployJob>(QUEUE, (job, token) => this.process(job, token), {
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

  private async process(job: Job<DeployJob>, token?: string): Promise<void> {
    const first = this.deps.deployments.get(job.data.deploymentId);
    if (first.status !== 'queued') return; // already handled (redelivered or reconciled)
    if (!this.claim(first.appId, first.id, job.id!)) {
      // Not its turn: give the slot back, and come back when promoted (or after parkMs).
      await job.moveToDelayed(Date.now() + (this.deps.parkMs ?? 3000), token);
      throw new DelayedError();
    }
    try {
      await this.runLocked(job);
    } finally {
      this.running.delete(first.appId);
      void this.wake(first.appId);
    }
  }

  /**
   * Whether deployment `id` may run now: one per app at a time, in the order they were made (the
   * worker may pick up two waiting jobs in either order). If not, it is recorded as parked.
   */
  private claim(appId: number, id: number, jobId: string): boolean {
    const parked = this.parked.get(appId) ?? new Map<number, string>();
    this.parked.set(appId, parked);
    for (const older of parked.keys()) if (older < id && !this.stillQueued(older)) parked.delete(older);
    const olderWaits = [...parked.keys()].some((older) => older < id);
    if (this.running.has(appId) || olderWaits) {
      parked.set(id, jobId);
      // The app is free but an older deployment is parked: let it go first.
      if (!this.running.has(appId)) void this.wake(appId);
      return false;
    }
    parked.delete(id);
    if (!parked.size) this.parked.delete(appId);
    this.running.set(appId, id);
    return true;
  }

  private stillQueued(id: number): boolean {
    try {
      return this.deps.deployments.get(id).status === 'queued';
    } catch {
      return false; // deleted with its app
    }
  }

  /** Promotes the app's oldest parked deployment, so it runs now instead of after its delay. */
  private async wake(appId: number): Promise<void> {
    const parked = this.parked.get(appId);
    if (!parked?.size) return;
    const jobId = parked.get(Math.min(...parked.keys()))!;
    try {
      await (await this.queue.getJob(jobId))?.promote();
    } catch {
      // Not in the delayed set (yet, or any more): its own delay brings it back.
    }
  }

  private async runLocked(job: Job<DeployJob>): Promise<void> {
    const { deployments, progress, logger } = this.deps;
    const d = deployments.get(job.data.deploymentId);
    if (d.status !== 'queued') return;
    const out = progress.writer(d.id);
    const done = (o: Outcome) => {
      progress.finish(d.id, o);
      this.deps.finished?.(d);
    };
    const skip = (error: string, line: string) => {
      deployments.update(d.id, { status: 'superseded', error });
      out(`-----> Skipped: ${line}`);
      done({ status: 'superseded', error });
    };
    // Before every attempt (a retry may come after newer work): never go back in time.
    if (['push', 'webhook', 'cli', 'rollback'].includes(d.trigger)) {
      const started = deployments.newerStartedCodeChange(d.appId, d.id);
      if (started)
        return skip(
          `superseded by deployment ${started.id}, which started first`,
          `a newer ${started.trigger === 'rollback' ? 'rollback' : 'deploy'} (deployment ${started.id}${started.sha ? `, ${started.sha.slice(0, 7)}` : ''}) has already started; running this one now would put older code back`,
        );
    }
    if (['push', 'webhook', 'cli'].includes(d.trigger)) {
      const newer = deployments.newerQueuedCodeDeploy(d.appId, d.id);
      if (newer) return skip(`superseded by deployment ${newer.id}`, `a newer push (deployment ${newer.id}, ${newer.sha?.slice(0, 7) ?? ''}) is queued`);
    }
    deployments.update(d.id, { status: 'running' });
    const deadline = new DeployDeadline(this.deps.deployTimeoutSeconds ?? 1800);
    try {
      const result = await this.deps.run(d, out, deadline).finally(() => deadline.dispose());
      deployments.update(d.id, { status: 'succeeded', releaseVersion: result.release ?? null });
      done({ status: 'succeeded', release: result.release });
    } catch (caught) {
      if (caught instanceof Superseded) return skip(caught.message, caught.message);
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
