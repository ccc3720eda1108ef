// What Slipway runs on one host only, so far: why each is refused in swarm mode (read at push
// time by the compose rules; docs/ARCHITECTURE.md, Limits).
export const SWARM_LIMITS = {
  jobs: 'batch jobs and cron schedules (slipway.job, slipway.schedule) do not run on a swarm yet; run them from a one-host Slipway, or as a worker service',
} as const;
