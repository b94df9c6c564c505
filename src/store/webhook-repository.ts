/** Webhooks: tenants' subscriptions. Every read is scoped to a tenant unless it is by the engine itself. */
import type { Collection } from 'mongodb';
import type { PlatformEvent, WebhookRecord, WebhookStatus } from './model';

export class WebhookRepository {
  constructor(private readonly webhooks: Collection<WebhookRecord>) {}

  async insert(record: WebhookRecord): Promise<void> {
    await this.webhooks.insertOne(record);
  }

  /** The engine's own lookup by ID (activities load what they need by ID). */
  async findById(id: string): Promise<WebhookRecord | null> {
    return this.webhooks.findOne({ _id: id });
  }

  async findForTenant(tenantId: string, id: string): Promise<WebhookRecord | null> {
    return this.webhooks.findOne({ _id: id, tenantId });
  }

  /** One page of a tenant's webhooks for an event, any status, in ID order. */
  async pageForEvent(tenantId: string, event: PlatformEvent, afterId: string | undefined, limit: number) {
    const filter = afterId ? { tenantId, event, _id: { $gt: afterId } } : { tenantId, event };
    return this.webhooks.find(filter).sort({ _id: 1 }).limit(limit).toArray();
  }

  async setStatus(tenantId: string, id: string, status: WebhookStatus, now: Date): Promise<WebhookRecord | null> {
    return this.webhooks.findOneAndUpdate(
      { _id: id, tenantId },
      { $set: { status, updatedAt: now } },
      { returnDocument: 'after' },
    );
  }
}
