/** Deliveries (one event to one webhook) and their attempts (one HTTP request each). */
import { MongoBulkWriteError, MongoServerError, type Collection, type Filter, type WriteError } from 'mongodb';
import { GuardedWrites } from './guarded-writes';
import { eventKey } from './event-repository';
import { newestFirstAfter, timeRange, type NewestFirstFilter } from './listing';
import {
  ERASED_REASON,
  OPEN_DELIVERY_STATUSES,
  type AttemptRecord,
  type DeliveryRecord,
  type DeliveryStatus,
  type PlatformEvent,
} from './model';

/** What a tenant's deliveries can be listed by (each served by an index: docs/operations.md, "Finding"). */
export interface DeliveryListFilter extends NewestFirstFilter {
  status?: DeliveryStatus;
  webhookId?: string;
  event?: PlatformEvent;
  eventId?: string;
  documentId?: string;
}

/** What a recover re-sends: failed deliveries, and the ones skipped while the webhook was inactive. */
export const RECOVERABLE_STATUSES: DeliveryStatus[] = ['failed', 'skipped'];

const STRANDED_PENDING_AFTER_MS = 60_000;

/** Records one insert command carries: far below FerretDB's 100 SQLite connections, measured in docs/performance.md. */
export const INSERT_BATCH = 50;

function onlyDuplicateKeys(err: MongoBulkWriteError): boolean {
  const errors = ([] as WriteError[]).concat(err.writeErrors);
  return errors.length > 0 && errors.every((e) => e.code === 11000);
}

/** An attempt's ID is its delivery and number, so a second insert of the same attempt is a duplicate key. */
export function attemptId(deliveryId: string, attempt: number): string {
  return `${deliveryId}:${attempt}`;
}

/** What an attempt's outcome sets on its claimed record. */
export type AttemptOutcomeFields = Pick<AttemptRecord, 'requestHeaders' | 'delivered' | 'durationMs' | 'createdAt'> &
  Partial<
    Pick<
      AttemptRecord,
      'statusCode' | 'responseBody' | 'responseBodyTruncated' | 'errorClass' | 'error' | 'retryAfterSeconds'
    >
  >;

export type DeliveryChange = Partial<
  Pick<DeliveryRecord, 'status' | 'attemptCount' | 'scheduleStep' | 'lastAttemptAt' | 'lastStatusCode' | 'lastError'>
> & { nextAttemptAt?: Date | null };

export class DeliveryRepository {
  constructor(
    private readonly deliveries: Collection<DeliveryRecord>,
    private readonly attempts: Collection<AttemptRecord>,
    private readonly guarded: GuardedWrites = new GuardedWrites('atomic'),
  ) {}

  /** Creates the delivery unless it exists (dispatch may run twice); never overwrites progress. */
  async ensure(record: DeliveryRecord): Promise<void> {
    await this.deliveries.updateOne({ _id: record._id }, { $setOnInsert: record }, { upsert: true });
  }

  /**
   * `ensure` for many records: plain inserts, at most `batchSize` a command, a record that exists already
   * skipped by its duplicate key. Never upserts: FerretDB 1.24 keeps each matched upsert's result set open
   * until its whole command ends, so one bulk upsert of more than ~100 existing records holds every SQLite
   * connection and wedges the store (issue 21). An insert opens no result set, and a batch well below the
   * pool keeps a write that runs twice (a retried page) bounded too. Returns how many were new.
   */
  async insertAbsent(records: DeliveryRecord[], batchSize = INSERT_BATCH): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < records.length; i += batchSize) {
      const batch = records.slice(i, i + batchSize);
      try {
        inserted += (await this.deliveries.insertMany(batch, { ordered: false })).insertedCount;
      } catch (err) {
        if (!(err instanceof MongoBulkWriteError) || !onlyDuplicateKeys(err)) throw err;
        inserted += err.insertedCount;
      }
    }
    return inserted;
  }

  async findById(id: string): Promise<DeliveryRecord | null> {
    return this.deliveries.findOne({ _id: id });
  }

  async findForTenant(tenantId: string, id: string): Promise<DeliveryRecord | null> {
    return this.deliveries.findOne({ _id: id, tenantId });
  }

  /** Deliveries of a webhook that a workflow may still be working on: the ones to pause or resume. */
  async listOpenForWebhook(webhookId: string): Promise<DeliveryRecord[]> {
    return this.deliveries.find({ webhookId, status: { $in: OPEN_DELIVERY_STATUSES } }).toArray();
  }

  /** A webhook's open deliveries, with what places them in publish order: an ordered webhook's queue. */
  async listOpenInPublishOrder(webhookId: string) {
    return this.deliveries
      .find(
        { webhookId, status: { $in: OPEN_DELIVERY_STATUSES } },
        { projection: { workflowId: 1, documentId: 1, eventAcceptedAt: 1, eventId: 1, createdAt: 1 } },
      )
      .toArray();
  }

  async listForEvent(eventKey: string): Promise<DeliveryRecord[]> {
    return this.deliveries.find({ eventKey }).sort({ _id: 1 }).toArray();
  }

  /** How many of an event's deliveries are open. */
  async countOpenForEvent(eventKey: string): Promise<number> {
    return this.deliveries.countDocuments({ eventKey, status: { $in: OPEN_DELIVERY_STATUSES } });
  }

  /** Whether an attempt of these deliveries is claimed (`sending`) under a lease that has not ended by `now`. */
  async anySending(deliveryIds: string[], now: Date): Promise<boolean> {
    if (deliveryIds.length === 0) return false;
    const filter = { deliveryId: { $in: deliveryIds }, state: 'sending' as const, leaseUntil: { $gt: now } };
    return (await this.attempts.countDocuments(filter, { limit: 1 })) > 0;
  }

  /** Removes what receivers answered to these deliveries (a receiver may echo the document it was sent). */
  async eraseResponseBodies(deliveryIds: string[]): Promise<number> {
    if (deliveryIds.length === 0) return 0;
    const result = await this.attempts.updateMany(
      { deliveryId: { $in: deliveryIds }, responseBody: { $exists: true } },
      { $unset: { responseBody: '', responseBodyTruncated: '' }, $set: { responseBodyErased: true } },
    );
    return result.modifiedCount;
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

  /**
   * Claims attempt N before its POST: the one insert that decides which activity try may send it. Returns
   * null when this try now owns the attempt, or the record another try claimed (or finished) first.
   */
  async claimAttempt(claim: AttemptRecord): Promise<AttemptRecord | null> {
    try {
      await this.attempts.insertOne(claim);
      return null;
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      const existing = await this.findAttempt(claim.deliveryId, claim.attempt);
      if (!existing) throw err;
      // Our own insert, retried by the driver after its reply was lost: the claim is ours.
      if (claim.claimId !== undefined && existing.claimId === claim.claimId) return null;
      return existing;
    }
  }

  /** Takes back a claim nothing was sent under (the webhook was paused after it was read): only our own. */
  async withdrawAttempt(deliveryId: string, attempt: number, claimId: string): Promise<void> {
    await this.guarded.delete(this.attempts, attemptId(deliveryId, attempt), { state: 'sending', claimId });
  }

  /** Writes the outcome of a claimed attempt, only if this try still holds the claim (no stale write). */
  async completeAttempt(
    deliveryId: string,
    attempt: number,
    claimId: string,
    outcome: AttemptOutcomeFields,
  ): Promise<boolean> {
    const result = await this.guarded.update(
      this.attempts,
      attemptId(deliveryId, attempt),
      { state: 'sending', claimId },
      { $set: { ...withoutUndefined(outcome), state: 'done' } },
    );
    return result.matched;
  }

  /**
   * Closes an attempt whose claimant stopped mid-send (a later try of the activity found it still `sending`):
   * outcome unknown, never sent again under this number. False when the claimant finished first.
   */
  async interruptAttempt(deliveryId: string, attempt: number, now: Date): Promise<boolean> {
    const result = await this.guarded.update(
      this.attempts,
      attemptId(deliveryId, attempt),
      { state: 'sending' },
      {
        $set: {
          state: 'done',
          delivered: false,
          errorClass: 'interrupted',
          error: 'interrupted: the worker stopped while this attempt was in flight; the receiver may have got it',
          durationMs: 0,
          createdAt: now,
        },
      },
    );
    return result.matched;
  }

  async findAttemptForRequest(deliveryId: string, requestId: string): Promise<AttemptRecord | null> {
    return this.attempts.findOne({ deliveryId, requestId });
  }

  /** Records that say open and have not changed since `before`, in ID order: what the reconciler checks. */
  async pageOpenUnchangedSince(before: Date, afterId: string | undefined, limit: number): Promise<DeliveryRecord[]> {
    const filter: Filter<DeliveryRecord> = { status: { $in: OPEN_DELIVERY_STATUSES }, updatedAt: { $lt: before } };
    if (afterId) filter._id = { $gt: afterId };
    return this.deliveries.find(filter).sort({ _id: 1 }).limit(limit).toArray();
  }

  /** How many deliveries are in each of `statuses`, across all tenants (the metrics' gauge). */
  async countByStatus(statuses: DeliveryStatus[]): Promise<Partial<Record<DeliveryStatus, number>>> {
    const counts = await Promise.all(statuses.map((status) => this.deliveries.countDocuments({ status })));
    return Object.fromEntries(statuses.map((status, i) => [status, counts[i] ?? 0]));
  }

  /**
   * The delivery workflow's record of its delivery's state (its only writer after dispatch created the record),
   * written only if no later attempt has been recorded: a stale writer (an old run, a late local activity) can
   * never overwrite a newer state. Answers whether it matched and whether it changed the status (a repeat of
   * the same write, a retried activity, changes nothing).
   */
  async recordStateChange(
    id: string,
    attempt: number,
    change: DeliveryChange,
    now: Date,
    /** The status the writer last recorded: when it is the same, no status change is looked for. */
    previousStatus?: DeliveryStatus,
  ): Promise<{ matched: boolean; statusChanged: boolean }> {
    const update = stateUpdate(change, now);
    const lookForChange = change.status !== undefined && previousStatus !== change.status;
    if (this.guarded.mode === 'read-then-write') {
      // The record read before the write tells a state change from a repeat of the same write.
      const written = await this.guarded.update(this.deliveries, id, { attemptCount: { $lte: attempt } }, update);
      return {
        matched: written.matched,
        statusChanged: written.matched && lookForChange && written.before?.status !== change.status,
      };
    }
    // One plain update (no findAndModify): first only if the status changes, which tells a state change from a
    // repeat of the same write (a retried activity) by matchedCount.
    if (lookForChange) {
      const changed = await this.deliveries.updateOne(
        { _id: id, attemptCount: { $lte: attempt }, status: { $ne: change.status } },
        update,
      );
      if (changed.matchedCount === 1) return { matched: true, statusChanged: true };
    }
    const same = await this.deliveries.updateOne({ _id: id, attemptCount: { $lte: attempt } }, update);
    return { matched: same.matchedCount === 1, statusChanged: false };
  }

  async countForWebhook(webhookId: string, statuses: DeliveryStatus[]): Promise<number> {
    return this.deliveries.countDocuments({ webhookId, status: { $in: statuses } });
  }

  /** By `_id`, which is derived from (delivery, attempt): the one lookup every store answers fast. */
  async findAttempt(deliveryId: string, attempt: number): Promise<AttemptRecord | null> {
    return this.attempts.findOne({ _id: attemptId(deliveryId, attempt) });
  }

  async listAttempts(deliveryId: string): Promise<AttemptRecord[]> {
    return this.attempts.find({ deliveryId }).sort({ attempt: 1 }).toArray();
  }

  /** A webhook's deliveries, newest first. */
  /** Marks the record changed now (its status untouched): what a redelivery does before its attempt. */
  async touch(id: string, now: Date): Promise<void> {
    await this.deliveries.updateOne({ _id: id }, { $set: { updatedAt: now } });
  }

  /** A tenant's deliveries, newest first, by any of the filters together. */
  async listForTenant(tenantId: string, filter: DeliveryListFilter, limit: number): Promise<DeliveryRecord[]> {
    const query: Filter<DeliveryRecord> = { tenantId, ...timeRange(filter), ...newestFirstAfter(filter) };
    if (filter.status) query.status = filter.status;
    if (filter.webhookId) query.webhookId = filter.webhookId;
    if (filter.event) query.event = filter.event;
    // By the event's key (the index every event's deliveries are read by), which holds the tenant too.
    if (filter.eventId) query.eventKey = eventKey(tenantId, filter.eventId);
    if (filter.documentId) query.documentId = filter.documentId;
    return this.deliveries.find(query).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  }

  /** How many deliveries of each event are in each status (for a page of events). */
  async countByStatusForEvents(eventKeys: string[]): Promise<Map<string, Partial<Record<DeliveryStatus, number>>>> {
    const counts = new Map<string, Partial<Record<DeliveryStatus, number>>>();
    if (eventKeys.length === 0) return counts;
    const groups = await this.deliveries
      .aggregate<{ _id: { eventKey: string; status: DeliveryStatus }; n: number }>([
        { $match: { eventKey: { $in: eventKeys } } },
        { $group: { _id: { eventKey: '$eventKey', status: '$status' }, n: { $sum: 1 } } },
      ])
      .toArray();
    for (const { _id, n } of groups) counts.set(_id.eventKey, { ...counts.get(_id.eventKey), [_id.status]: n });
    return counts;
  }

  /**
   * Failed and skipped deliveries, and `pending` ones untouched for a minute (stranded: a start that never
   * happened; one whose run is in fact going is left alone, its start is refused as already running).
   */
  private recoverableFilter(webhookId: string, since: Date, until: Date): Filter<DeliveryRecord> {
    const staleBefore = new Date(Date.now() - STRANDED_PENDING_AFTER_MS);
    return {
      webhookId,
      createdAt: { $gte: since, $lt: until },
      $or: [{ status: { $in: RECOVERABLE_STATUSES } }, { status: 'pending', updatedAt: { $lt: staleBefore } }],
      // Ended because its payload was erased: there is nothing left to send.
      lastError: { $ne: ERASED_REASON },
    };
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

/** The update a state change makes: the fields given, `updatedAt`, and `nextAttemptAt: null` as an unset. */
function stateUpdate(change: DeliveryChange, now: Date) {
  const { nextAttemptAt, ...rest } = change;
  const set = { ...withoutUndefined(rest), updatedAt: now, ...(nextAttemptAt ? { nextAttemptAt } : {}) };
  return nextAttemptAt === null ? { $set: set, $unset: { nextAttemptAt: '' as const } } : { $set: set };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
