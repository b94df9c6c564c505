/** Webhooks: tenants' subscriptions. Every read is scoped to a tenant unless it is by the engine itself. */
/** Optional settings a PATCH may remove. */
export type UnsettableWebhookField = 'signingSecret' | 'retrySchedule' | 'rateLimit' | 'maxInFlight' | 'ordering';

import type { Collection, Filter, UpdateFilter } from 'mongodb';
import type { EndpointHold, FailureStreak, PlatformEvent, WebhookRecord, WebhookStatus } from './model';

export interface WebhookListFilter {
  event?: PlatformEvent;
  status?: WebhookStatus;
  /** Exclusive: IDs sort by creation time. */
  afterId?: string;
}

export class WebhookRepository {
  constructor(private readonly webhooks: Collection<WebhookRecord>) {}

  async insert(record: WebhookRecord): Promise<void> {
    await this.webhooks.insertOne(record);
  }

  /** The engine's own lookup by ID (activities load what they need by ID). */
  /** Holds the endpoint until `hold.until`, unless a hold that ends later is already there (one write). */
  async holdEndpoint(id: string, hold: EndpointHold): Promise<boolean> {
    const result = await this.webhooks.updateOne(
      { _id: id, $or: [{ hold: { $exists: false } }, { 'hold.until': { $lt: hold.until } }] },
      { $set: { hold } },
    );
    return result.modifiedCount === 1;
  }

  /** A delivery succeeded after a hold: the endpoint takes attempts again (a hold set since then stays). */
  async releaseEndpoint(id: string, hold: EndpointHold): Promise<void> {
    await this.webhooks.updateOne({ _id: id, 'hold.until': hold.until }, { $unset: { hold: '' } });
  }

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
   * (a retried PATCH hands the same version out again).
   */
  async setStatus(tenantId: string, id: string, status: WebhookStatus, now: Date): Promise<WebhookRecord | null> {
    // Set active (an operator re-enabling it), a webhook starts afresh: no auto-disable reason, no streak.
    const update: UpdateFilter<WebhookRecord> = { $set: { status, updatedAt: now }, $inc: { statusVersion: 1 } };
    if (status === 'active') update.$unset = { disabledReason: '', failureStreak: '' };
    const changed = await this.webhooks.findOneAndUpdate({ _id: id, tenantId, status: { $ne: status } }, update, {
      returnDocument: 'after',
    });
    if (!changed) return this.findForTenant(tenantId, id);
    // A second write (no $inc and $set of the same field in one update on every store): the version it
    // names is the one this change produced. The reconciler hands out any version still pending.
    await this.webhooks.updateOne(
      { _id: id, statusVersion: changed.statusVersion },
      { $set: { statusHandOffPending: changed.statusVersion ?? 0 } },
    );
    return { ...changed, statusHandOffPending: changed.statusVersion };
  }

  /** The fan-out of `version` reached every running delivery: nothing is pending unless a newer one is. */
  async markHandedOut(id: string, version: number): Promise<void> {
    await this.webhooks.updateOne(
      { _id: id, statusHandOffPending: { $lte: version } },
      { $unset: { statusHandOffPending: '' } },
    );
  }

  /** Webhooks whose status change is still to be handed out, unchanged since `before` (the reconciler's). */
  async listHandOffPending(before: Date, limit: number): Promise<WebhookRecord[]> {
    return this.webhooks
      .find({ statusHandOffPending: { $exists: true }, updatedAt: { $lt: before } })
      .limit(limit)
      .toArray();
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

  /**
   * Counts one more failed delivery in the webhook's streak (starting one at `now` if there is none) and
   * answers the webhook as it is after, or null once it is deleted.
   */
  async recordDeliveryFailure(id: string, lastError: string, now: Date): Promise<WebhookRecord | null> {
    for (let i = 0; i < 3; i++) {
      const counted = await this.webhooks.findOneAndUpdate(
        { _id: id, failureStreak: { $exists: true } },
        {
          $inc: { 'failureStreak.count': 1 },
          $set: { 'failureStreak.lastError': lastError, 'failureStreak.lastFailureAt': now },
        },
        { returnDocument: 'after' },
      );
      if (counted) return counted;
      const streak: FailureStreak = { since: now, count: 1, lastError, lastFailureAt: now, warned: [] };
      const started = await this.webhooks.findOneAndUpdate(
        { _id: id, failureStreak: { $exists: false } },
        { $set: { failureStreak: streak } },
        { returnDocument: 'after' },
      );
      if (started) return started;
      // Deleted, or another failure started the streak between the two writes: count it there.
      if (!(await this.findById(id))) return null;
    }
    return this.findById(id);
  }

  /** A delivery succeeded: the streak, if any, is over. */
  async endFailureStreak(id: string): Promise<void> {
    await this.webhooks.updateOne({ _id: id, failureStreak: { $exists: true } }, { $unset: { failureStreak: '' } });
  }

  /**
   * Claims the warning at `threshold` percent of the streak that began at `since`: true exactly once per
   * streak and threshold, however many workers record failures at once.
   */
  async claimStreakWarning(id: string, since: Date, threshold: number): Promise<boolean> {
    const result = await this.webhooks.updateOne(
      { _id: id, 'failureStreak.since': since, 'failureStreak.warned': { $ne: threshold } },
      { $push: { 'failureStreak.warned': threshold } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Claims the automatic disabling of the streak that began at `since`: records why and ends the streak.
   * Answers the webhook before the change, or null when another worker claimed it or the streak moved on.
   */
  async claimAutoDisable(id: string, since: Date, reason: string, now: Date): Promise<WebhookRecord | null> {
    return this.webhooks.findOneAndUpdate(
      { _id: id, status: 'active', 'failureStreak.since': since },
      { $set: { disabledReason: { reason, at: now } }, $unset: { failureStreak: '' } },
      { returnDocument: 'before' },
    );
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return (await this.webhooks.deleteOne({ _id: id, tenantId })).deletedCount === 1;
  }
}
