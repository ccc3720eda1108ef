// What an app keeps and what goes, as a pure decision: the last N releases, plus every release
// something still needs (the one serving, one being deployed, the target of a queued or running
// rollback), and everything that belongs to the releases that go — their builds, deploy
// outputs and registry images (by digest: a rollback release reuses an older one's image).

export interface ReleaseFacts {
  version: number;
  status: string;
  digest: string;
  createdAt: string;
}

export interface DeploymentFacts {
  id: number;
  status: string;
  trigger: string;
  releaseVersion: number | null;
  buildId: number | null;
  /** A rollback's target version, when it names one. */
  rollbackTo?: number;
  createdAt: string;
}

export interface RetentionPlan {
  /** Release versions to delete, newest first. */
  releases: number[];
  /** Image digests no kept release uses: their manifests go from the registry. */
  digests: string[];
  /** Finished deployments (with their outputs) to delete. */
  deployments: number[];
  /** Builds (with their logs) to delete. */
  builds: number[];
  /** Digests the kept releases run. */
  keptDigests: string[];
}

const UNFINISHED = new Set(['queued', 'running']);
const IN_FLIGHT = new Set(['active', 'pending', 'deploying']);

export function planRetention(keep: number, releases: ReleaseFacts[], deployments: DeploymentFacts[]): RetentionPlan {
  const byNewest = [...releases].sort((a, b) => b.version - a.version);
  const kept = new Set(byNewest.slice(0, Math.max(1, keep)).map((r) => r.version));
  for (const r of byNewest) if (IN_FLIGHT.has(r.status)) kept.add(r.version);
  const current = byNewest.find((r) => r.status === 'active')?.version ?? Infinity;
  for (const d of deployments) {
    if (d.trigger !== 'rollback' || !UNFINISHED.has(d.status)) continue;
    // A rollback without a version goes to the newest earlier release that served.
    const target = d.rollbackTo ?? byNewest.find((r) => r.version < current && (r.status === 'superseded' || r.status === 'active'))?.version;
    if (target !== undefined) kept.add(target);
  }
  const gone = byNewest.filter((r) => !kept.has(r.version));
  const keptDigests = new Set(byNewest.filter((r) => kept.has(r.version)).map((r) => r.digest));
  const digests = [...new Set(gone.map((r) => r.digest))].filter((d) => d && !keptDigests.has(d));

  // What came before the oldest kept release (and is finished) goes with the releases.
  const goneVersions = new Set(gone.map((r) => r.version));
  const oldestKept = byNewest.filter((r) => kept.has(r.version)).at(-1)?.createdAt ?? '';
  const dropDeployment = (d: DeploymentFacts) =>
    !UNFINISHED.has(d.status) && (d.releaseVersion !== null ? goneVersions.has(d.releaseVersion) : d.createdAt < oldestKept);
  const droppedDeployments = deployments.filter(dropDeployment);
  const keptBuilds = new Set(deployments.filter((d) => !dropDeployment(d)).map((d) => d.buildId));
  const builds = [...new Set(droppedDeployments.map((d) => d.buildId))].filter((b): b is number => b !== null && !keptBuilds.has(b));
  return {
    releases: gone.map((r) => r.version),
    digests,
    deployments: droppedDeployments.map((d) => d.id),
    builds,
    keptDigests: [...keptDigests],
  };
}
