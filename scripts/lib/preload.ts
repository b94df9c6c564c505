/**
 * `npm run bench -- --preload N`: fills the store with N older, finished deliveries (and one attempt and one
 * event each, like real history) for the bench's own webhooks, so the cost of a delivery against a grown
 * store is one command away. Inserted in batches directly: it is history, not load.
 */
import type { AttemptRecord, DeliveryRecord, EventRecord, WebhookRecord } from '../../src/store/model';
import { collections } from '../../src/store/mongo';
import { deliveryIdFor } from '../../src/ids';
import type { Harness } from './harness';

const BATCH = 1_000;

export async function preloadStore(
  h: Harness,
  tenants: { tenantId: string; webhooks: WebhookRecord[] }[],
  count: number,
): Promise<void> {
  const c = collections(h.mongo.db(h.dbName));
  const webhooks = tenants.flatMap((t) => t.webhooks);
  const at = new Date(Date.now() - 7 * 24 * 3600 * 1000);
  for (let start = 0; start < count; start += BATCH) {
    const events: EventRecord[] = [];
    const deliveries: DeliveryRecord[] = [];
    const attempts: AttemptRecord[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const webhook = webhooks[i % webhooks.length];
      if (!webhook) throw new Error('the bench has no webhooks to preload for');
      const eventId = `preload-${i}`;
      const eventKey = `${webhook.tenantId}:${eventId}`;
      const deliveryId = deliveryIdFor(webhook._id, eventKey);
      const when = new Date(at.getTime() + i);
      events.push({
        _id: eventKey,
        tenantId: webhook.tenantId,
        eventId,
        event: webhook.event,
        documentId: `preload-doc-${i}`,
        occurredAt: when,
        status: 'dispatched',
        body: `{"event":"${webhook.event}","tenantId":"${webhook.tenantId}","doc":{"_id":"preload-doc-${i}"}}`,
        createdAt: when,
        updatedAt: when,
      });
      deliveries.push({
        _id: deliveryId,
        tenantId: webhook.tenantId,
        webhookId: webhook._id,
        eventKey,
        eventId,
        event: webhook.event,
        workflowId: `delivery:${webhook._id}:${eventId}`,
        status: 'succeeded',
        attemptCount: 1,
        lastAttemptAt: when,
        lastStatusCode: 200,
        createdAt: when,
        updatedAt: when,
      });
      attempts.push({
        _id: `${deliveryId}:1`,
        deliveryId,
        tenantId: webhook.tenantId,
        webhookId: webhook._id,
        attempt: 1,
        trigger: 'automatic',
        state: 'done',
        url: webhook.url,
        requestHeaders: {},
        delivered: true,
        statusCode: 200,
        durationMs: 5,
        startedAt: when,
        createdAt: when,
      });
    }
    await c.events.insertMany(events, { ordered: false });
    await c.deliveries.insertMany(deliveries, { ordered: false });
    await c.attempts.insertMany(attempts, { ordered: false });
  }
}
