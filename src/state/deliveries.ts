// Webhook deliveries an app has accepted, by (app, delivery id): a redelivery to the same app
// starts nothing; the same delivery id reaching two apps fed by one repository deploys both.
import { type Db, now } from './db.js';

export class WebhookDeliveries {
  constructor(private readonly db: Db) {}

  seen(appId: number, deliveryId: string): boolean {
    return this.db.prepare('SELECT 1 FROM webhook_deliveries WHERE app_id = ? AND delivery_id = ?').get(appId, deliveryId) !== undefined;
  }

  /** Records an accepted delivery and the deployment it made (call inside that deployment's transaction). */
  record(appId: number, deliveryId: string, provider: string, deploymentId: number): void {
    this.db
      .prepare('INSERT INTO webhook_deliveries (app_id, delivery_id, provider, deployment_id, received_at) VALUES (?, ?, ?, ?, ?)')
      .run(appId, deliveryId, provider, deploymentId, now());
  }
}
