// What a verified webhook push becomes: a `webhook` deployment row and its delivery record in one
// transaction ((app, delivery id) is the primary key, so a redelivery can never make a second
// deployment for that app; another app fed by the same repository gets its own), then a job on
// the deploy queue. The webhook router calls it; so does bench/webhook-intake, which measures this path.
import type { PushEvent } from '../source/webhooks.js';
import type { AppRow } from '../state/apps.js';
import type { DeploymentRow } from '../state/deployments.js';
import type { State } from '../state/index.js';

export interface WebhookIntake {
  /** Whether `app` already accepted this delivery id. */
  seenDelivery(app: Pick<AppRow, 'id'>, id: string): boolean;
  enqueue(app: Pick<AppRow, 'id'>, push: PushEvent, deliveryId: string): Promise<{ deploymentId: number }>;
}

export function webhookIntake(state: State, enqueue: (d: DeploymentRow) => Promise<void>): WebhookIntake {
  return {
    seenDelivery: (app, id) => state.deliveries.seen(app.id, id),
    async enqueue(app, push, deliveryId) {
      const d = state.db.transaction(() => {
        const row = state.deployments.create(app.id, { trigger: 'webhook', sha: push.sha, ref: push.ref, params: { deliveryId, provider: push.provider } });
        state.deliveries.record(app.id, deliveryId, push.provider, row.id);
        return row;
      })();
      await enqueue(d);
      return { deploymentId: d.id };
    },
  };
}
