/** Webhooks: tenants' subscriptions. Every read is scoped to a tenant unless it is by the engine itself. */
/** Optional settings a PATCH may remove. */
export type UnsettableWebhookField = 'signingSecret' | 'retrySchedule' | 'rateLimit' | 'maxInFlight' | 'ordering';

import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { updateElseInsert } from './forward-write';
import type { PlatformEvent, StatusHandOffRecord, WebhookRecord, WebhookStatus } from './model';

export interface WebhookListFilter {
  event?: PlatformEvent;
  status?: WebhookStatus;
  /** Exclusive: IDs sort by creation time. */
  afterId?: string;
}

export class WebhookRepository {
  constructor(
    private readonly webhooks: Collection<WebhookRecord>,
    private readonly handOffs: Collection<StatusHandOffRecord>,
  ) {}

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

  /**
   * Sets the status and bumps its version when it changes; setting the status it already has changes nothing
   * (a retried PATCH hands the same version out again). `engine`: the engine disables it (auto-disable), only
   * while the status is still at the version it judged, and says why in the same write.
   */
  async setStatus(
    tenantId: string,
    id: string,
    status: WebhookStatus,
    now: Date,
    engine?: { disabledReason: NonNullable<WebhookRecord['disabledReason']>; atVersion: number },
  ): Promise<WebhookRecord | null> {
    const set: Partial<WebhookRecord> = { status, updatedAt: now };
    if (engine) set.disabledReason = engine.disabledReason;
    const update: UpdateFilter<WebhookRecord> = { $set: set, $inc: { statusVersion: 1 } };
    // Set active (an operator re-enabling it), a webhook starts afresh: no auto-disable reason.
    if (status === 'active') update.$unset = { disabledReason: '' };
    const filter: Filter<WebhookRecord> = { _id: id, tenantId, status: { $ne: status } };
    // Records older than versioning have none: version 0.
    if (engine)
      filter.$or =
        engine.atVersion === 0
          ? [{ statusVersion: 0 }, { statusVersion: { $exists: false } }]
          : [{ statusVersion: engine.atVersion }];
    const changed = await this.webhooks.findOneAndUpdate(filter, update, { returnDocument: 'after' });
    if (!changed) return this.findForTenant(tenantId, id);
    await this.markHandOffPending(changed, now);
    return changed;
  }

  /**
   * Until the fan-out has handed the change to every running delivery (the reconciler hands out any left
   * pending). Never moves back: a slower write of an older change leaves a newer one in place.
   */
  private async markHandOffPending(webhook: WebhookRecord, now: Date): Promise<void> {
    const version = webhook.statusVersion ?? 0;
    const pending = { tenantId: webhook.tenantId, version, at: now };
    await updateElseInsert(
      this.handOffs,
      { _id: webhook._id, ...pending },
      { version: { $lt: version } },
      { $set: pending },
    );
  }

  /** The fan-out of `version` reached every running delivery: nothing is pending unless a newer one is. */
  async markHandedOut(id: string, version: number): Promise<void> {
    await this.handOffs.deleteOne({ _id: id, version: { $lte: version } });
  }

  /** Webhooks whose status change is still to be handed out, unchanged since `before` (the reconciler's). */
  async listHandOffPending(before: Date, limit: number): Promise<WebhookRecord[]> {
    const pending = await this.handOffs
      .find({ at: { $lt: before } })
      .limit(limit)
      .toArray();
    if (pending.length === 0) return [];
    const found = await this.webhooks.find({ _id: { $in: pending.map((p) => p._id) } }).toArray();
    // A webhook deleted since has nothing to hand out.
    const gone = pending.filter((p) => !found.some((w) => w._id === p._id));
    if (gone.length > 0) await this.handOffs.deleteMany({ _id: { $in: gone.map((p) => p._id) } });
    return found;
  }

  /** Whether the status change `version` is still to be handed out (tests and operators). */
  async handOffPending(id: string): Promise<number | undefined> {
    return (await this.handOffs.findOne({ _id: id }))?.version;
  }

  async list(tenantId: string, filter: WebhookListFilter, limit: number): Promise<WebhookRecord[]> {
    const query: Filter<WebhookRecord> = { tenantId };
    if (filter.event) query.event = filter.event;
    if (filter.status) query.status = filter.status;
    if (filter.afterId) query._id = { $gt: filter.afterId };
    return this.webhooks.find(query).sort({ _id: 1 }).limit(limit).toArray();
  }

  async countForTenant(tenantId: string): Promise<number> {
    return this.webhooks.countDocuments({ tenantId });
  }

  /** Replaces the mutable fields; `unset` lists optional fields to remove. */
  async update(
    tenantId: string,
    id: string,
    set: Partial<Omit<WebhookRecord, '_id' | 'tenantId' | 'createdAt'>>,
    unset: UnsettableWebhookField[],
  ): Promise<WebhookRecord | null> {
    const update: UpdateFilter<WebhookRecord> = { $set: set };
    if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((f) => [f, '' as const]));
    return this.webhooks.findOneAndUpdate({ _id: id, tenantId }, update, { returnDocument: 'after' });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const deleted = (await this.webhooks.deleteOne({ _id: id, tenantId })).deletedCount === 1;
    if (deleted) await this.handOffs.deleteOne({ _id: id });
    return deleted;
  }
}
