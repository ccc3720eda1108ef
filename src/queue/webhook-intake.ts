// What a verified webhook push becomes: a `webhook` deployment row and its delivery record in one
// transaction (the delivery id is the primary key, so a redelivery can never make a second
// deployment), then a job on the deploy queue. The webhook router calls it; so does
// bench/webhook-intake, which measures this path.
import type { PushEvent } from '../source/webhooks.js';
import type { AppRow } from '../state/apps.js';
import type { DeploymentRow } from '../state/deployments.js';
import type { State } from '../state/index.js';

export interface WebhookIntake {
  /** Whether this delivery id was already accepted. */
  seenDelivery(id: string): boolean;
  enqueue(app: Pick<AppRow, 'id'>, push: PushEvent, deliveryId: string): Promise<{ deploymentId: number }>;
}

export function webhookIntake(state: State, enqueue: (d: DeploymentRow) => Promise<void>): WebhookIntake {
  const seen = state.db.prepare('SELECT 1 FROM webhook_deliveries WHERE delivery_id = ?');
  const record = state.db.prepare('INSERT INTO webhook_deliveries (delivery_id, app_id, provider, deployment_id, received_at) VALUES (?, ?, ?, ?, ?)');
  return {
    seenDelivery: (id) => seen.get(id) !== undefined,
    async enqueue(app, push, deliveryId) {
      const d = state.db.transaction(() => {
        const row = state.deployments.create(app.id, { trigger: 'webhook', sha: push.sha, ref: push.ref, params: { deliveryId, provider: push.provider } });
        record.run(deliveryId, app.id, push.provider, row.id, new Date().toISOString());
        return row;
      })();
      await enqueue(d);
      return { deploymentId: d.id };
    },
  };
}
