// What Slipway runs on one host only, so far: why each is refused in swarm mode (read at push
// time by the compose rules, at run time by the autoscaler; docs/ARCHITECTURE.md, Limits).
export const SWARM_LIMITS = {
  autoscale:
    'autoscaling does not run on a swarm yet (its in-place resize and per-container metrics are one host\'s); set deploy.replicas, or `slipway scale APP web=N` (a blue-green rollout)',
} as const;
