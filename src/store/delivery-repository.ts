/** Deliveries (one event to one webhook) and their attempts (one HTTP request each). */
import { MongoServerError, type Collection, type Filter } from 'mongodb';
import { OPEN_DELIVERY_STATUSES, type AttemptRecord, type DeliveryRecord, type DeliveryStatus } from './model';

export interface DeliveryListFilter {
  status?: DeliveryStatus;
  since?: Date;
  until?: Date;
  /** Continue after this (createdAt, _id) position, newest first. */
  before?: { createdAt: Date; id: string };
}

/** What a recover re-sends: failed deliveries, and the ones skipped while the webhook was inactive. */
export const RECOVERABLE_STATUSES: DeliveryStatus[] = ['failed', 'skipped'];

/** An attempt's ID is its delivery and number, so a second insert of the same attempt is a duplicate key. */
export function attemptId(deliveryId: string, attempt: number): string {
  return `${deliveryId}:${attempt}`;
}

export type DeliveryChange = Partial<
  Pick<DeliveryRecord, 'status' | 'attemptCount' | 'lastAttemptAt' | 'lastStatusCode' | 'lastError'>
> & { nextAttemptAt?: Date | null };

export class DeliveryRepository {
  constructor(
    private readonly deliveries: Collection<DeliveryRecord>,
    private readonly attempts: Collection<AttemptRecord>,
  ) {}

  /** Creates the delivery unless it exists (dispatch may run twice); never overwrites progress. */
  async ensure(record: DeliveryRecord): Promise<void> {
    await this.deliveries.updateOne({ _id: record._id }, { $setOnInsert: record }, { upsert: true });
  }

  async findById(id: string): Promise<DeliveryRecord | null> {
    return this.deliveries.findOne({ _id: id });
  }

  async findForTenant(tenantId: string, id: string): Promise<DeliveryRecord | null> {
    return this.deliveries.findOne({ _id: id, tenantId });
  }

  /** Sets the given fields; `nextAttemptAt: null` clears it. */
  async update(id: string, change: DeliveryChange, now: Date): Promise<void> {
    const { nextAttemptAt, ...rest } = change;
    const set = { ...withoutUndefined(rest), updatedAt: now, ...(nextAttemptAt ? { nextAttemptAt } : {}) };
    await this.deliveries.updateOne(
      { _id: id },
      nextAttemptAt === null ? { $set: set, $unset: { nextAttemptAt: '' } } : { $set: set },
    );
  }

  /** Deliveries of a webhook that a workflow may still be working on: the ones to pause or resume. */
  async listOpenForWebhook(webhookId: string): Promise<DeliveryRecord[]> {
    return this.deliveries.find({ webhookId, status: { $in: OPEN_DELIVERY_STATUSES } }).toArray();
  }

  async listForEvent(eventKey: string): Promise<DeliveryRecord[]> {
    return this.deliveries.find({ eventKey }).sort({ _id: 1 }).toArray();
  }

  /**
   * Records an attempt exactly once. A retried activity that already recorded this attempt number gets the
   * stored record back instead of a second one.
   */
  async recordAttempt(record: AttemptRecord): Promise<AttemptRecord> {
    try {
      await this.attempts.insertOne(record);
      return record;
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) {
        const existing = await this.findAttempt(record.deliveryId, record.attempt);
        if (existing) return existing;
      }
      throw err;
    }
  }

  /** By `_id`, which is derived from (delivery, attempt): the one lookup every store answers fast. */
  async findAttempt(deliveryId: string, attempt: number): Promise<AttemptRecord | null> {
    return this.attempts.findOne({ _id: attemptId(deliveryId, attempt) });
  }

  async listAttempts(deliveryId: string): Promise<AttemptRecord[]> {
    return this.attempts.find({ deliveryId }).sort({ attempt: 1 }).toArray();
  }

  /** A webhook's deliveries, newest first. */
  async listForWebhook(tenantId: string, webhookId: string, filter: DeliveryListFilter, limit: number) {
    const query: Filter<DeliveryRecord> = { tenantId, webhookId };
    if (filter.status) query.status = filter.status;
    const createdAt: { $gte?: Date; $lt?: Date } = {};
    if (filter.since) createdAt.$gte = filter.since;
    if (filter.until) createdAt.$lt = filter.until;
    if (filter.since || filter.until) query.createdAt = createdAt;
    if (filter.before) {
      const { createdAt: at, id } = filter.before;
      query.$or = [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: id } }];
    }
    return this.deliveries.find(query).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  }

  private recoverableFilter(webhookId: string, since: Date, until: Date): Filter<DeliveryRecord> {
    return { webhookId, status: { $in: RECOVERABLE_STATUSES }, createdAt: { $gte: since, $lt: until } };
  }

  async countRecoverable(webhookId: string, since: Date, until: Date): Promise<number> {
    return this.deliveries.countDocuments(this.recoverableFilter(webhookId, since, until));
  }

  /** One page of recoverable deliveries in ID order, for the paced recover workflow. */
  async pageRecoverable(webhookId: string, since: Date, until: Date, afterId: string | undefined, limit: number) {
    const filter = this.recoverableFilter(webhookId, since, until);
    if (afterId) filter._id = { $gt: afterId };
    return this.deliveries.find(filter).sort({ _id: 1 }).limit(limit).toArray();
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
