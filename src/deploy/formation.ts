// Process formation: how many replicas of each service a release runs, as Heroku and Dokku
// decide it — the user's `slipway scale` choices carried from release to release, unless
// app.json `formation` manages them (then it alone decides, and `slipway scale` is refused).
import type { Release, ServiceSpec } from '../domain.js';
import { UserError } from '../errors.js';

/** app.json `formation` decides a Procfile app's replicas (a compose file's `deploy.replicas` wins over it). */
export function formationManaged(r: Pick<Release, 'appJson' | 'serviceSource'>): boolean {
  return Boolean(r.appJson?.formation) && r.serviceSource === null;
}

export const formationRefusal = (app: string) =>
  new UserError(
    `${app}'s app.json has a "formation", which sets the replicas on every deploy: change the quantities there and push, or remove "formation" to scale with slipway scale`,
    409,
  );

/**
 * The `scale` of a new code release: the previous release's choices for services that still
 * exist, then choices saved with `--no-deploy`; nothing when app.json manages the formation
 * (each spec's replicas already come from it).
 */
export function releaseScale(
  previous: Record<string, number> | undefined,
  services: Pick<ServiceSpec, 'name'>[],
  pending: Record<string, number> | null,
  managed: boolean,
): Record<string, number> {
  if (managed) return {};
  const scale: Record<string, number> = {};
  for (const [k, v] of Object.entries({ ...previous, ...pending })) if (services.some((s) => s.name === k)) scale[k] = v;
  return scale;
}

export interface FormationEntry {
  type: string;
  quantity: number;
  /** What decided the quantity. */
  source: 'app.json' | 'scale' | 'default';
}

/** Every service of the release with its replicas, including those at 0 (what `ps` shows). */
export function formationOf(r: Pick<Release, 'services' | 'scale' | 'appJson' | 'serviceSource'>): FormationEntry[] {
  const managed = formationManaged(r);
  return r.services.map((s) => ({
    type: s.name,
    quantity: r.scale[s.name] ?? s.replicas,
    source: managed ? 'app.json' : r.scale[s.name] !== undefined ? 'scale' : 'default',
  }));
}
