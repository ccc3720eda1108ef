// The Docker Engine adapter for what an app's containers share: its bridge network and its
// named volumes. Every call is idempotent, so a retried or resumed deploy can repeat it.
import type Dockerode from 'dockerode';
import { LABELS } from '../domain.js';
import { UserError } from '../errors.js';
import { engineError } from './client.js';

const status = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

export class Networks {
  constructor(private readonly docker: Dockerode) {}

  async ensureNetwork(name: string, labels: Record<string, string> = {}): Promise<void> {
    try {
      await this.docker.getNetwork(name).inspect();
      return;
    } catch (e) {
      if (status(e) !== 404) throw engineError(e, `cannot inspect network ${name}`);
    }
    try {
      // Without CheckDuplicate the engine happily creates a second network of the same name.
      await this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
    } catch (e) {
      if (status(e) !== 409) throw engineError(e, `cannot create network ${name}`);
    }
  }

  /** Removes the network; its containers must be gone first (the engine refuses otherwise). */
  async removeNetwork(name: string): Promise<void> {
    try {
      await this.docker.getNetwork(name).remove();
    } catch (e) {
      if (status(e) !== 404) throw engineError(e, `cannot remove network ${name}`);
    }
  }

  /** The `slipway.app` label of a volume: undefined when there is no such volume, null when unlabelled. */
  async volumeApp(name: string): Promise<string | null | undefined> {
    try {
      const v = await this.docker.getVolume(name).inspect();
      return v.Labels?.[LABELS.app] ?? null;
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw engineError(e, `cannot inspect volume ${name}`);
    }
  }

  /** Creates the volume unless it exists; one labelled as another app's is never shared. */
  async ensureVolume(name: string, labels: Record<string, string> = {}): Promise<void> {
    const owner = await this.volumeApp(name);
    const app = labels[LABELS.app];
    if (owner && app && owner !== app)
      throw new UserError(`volume ${name} belongs to app ${owner}, not ${app}; Slipway never shares a volume between apps (rename or remove it)`, 409);
    if (owner !== undefined) return;
    // Creating an existing volume is a no-op for the local driver, so a race here is harmless.
    await this.docker.createVolume({ Name: name, Driver: 'local', Labels: labels }).catch((e) => {
      throw engineError(e, `cannot create volume ${name}`);
    });
  }

  /** Removes every volume labelled as the app's (its data and its log-file volumes); returns their names. */
  async removeVolumes(app: string): Promise<string[]> {
    const { Volumes } = await this.docker.listVolumes({ filters: { label: [`${LABELS.app}=${app}`] } }).catch((e) => {
      throw engineError(e, `cannot list volumes of ${app}`);
    });
    const names = (Volumes ?? []).map((v) => v.Name);
    for (const name of names) {
      await this.docker
        .getVolume(name)
        .remove()
        .catch((e) => {
          if (status(e) !== 404) throw engineError(e, `cannot remove volume ${name} (is a container of ${app} still using it?)`);
        });
    }
    return names;
  }
}
