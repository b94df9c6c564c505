/** Platform events and the exact body bytes built for them. */
import { MongoServerError, type Collection, type Filter } from 'mongodb';
import { newestFirstAfter, timeRange, type NewestFirstFilter } from './listing';
import type { EventRecord, PlatformEvent } from './model';

/** What a tenant's events can be listed by (each served by an index). */
export interface EventListFilter extends NewestFirstFilter {
  event?: PlatformEvent;
  documentId?: string;
}

export function eventKey(tenantId: string, eventId: string): string {
  return `${tenantId}:${eventId}`;
}

export class EventRepository {
  constructor(private readonly events: Collection<EventRecord>) {}

  /** Creates the event once; a repeat (activity retry, duplicate publish) returns what is stored. */
  async ensure(record: Omit<EventRecord, 'status' | 'createdAt' | 'updatedAt'>, now: Date): Promise<EventRecord> {
    const stored = await this.events.findOneAndUpdate(
      { _id: record._id },
      { $setOnInsert: { ...record, status: 'pending', createdAt: now, updatedAt: now } },
      { upsert: true, returnDocument: 'after' },
    );
    return stored as EventRecord;
  }

  /** Stores a new event; false when one with the same key exists (a concurrent publish of the same ID). */
  async insert(record: EventRecord): Promise<boolean> {
    try {
      await this.events.insertOne(record);
      return true;
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) return false;
      throw err;
    }
  }

  /** A tenant's events, newest first (without their bodies). */
  async listForTenant(tenantId: string, filter: EventListFilter, limit: number): Promise<EventRecord[]> {
    const query: Filter<EventRecord> = { tenantId, ...timeRange(filter), ...newestFirstAfter(filter) };
    if (filter.event) query.event = filter.event;
    if (filter.documentId) query.documentId = filter.documentId;
    return this.events
      .find(query, { projection: { body: 0 } })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .toArray();
  }

  /** The tenant's events not yet dispatched (their deliveries may not exist yet). */
  async listUndispatched(tenantId: string) {
    return this.events
      .find({ tenantId, status: 'pending' }, { projection: { documentId: 1, createdAt: 1, eventId: 1 } })
      .toArray();
  }

  async findByKey(key: string): Promise<EventRecord | null> {
    return this.events.findOne({ _id: key });
  }

  /** By `_id`, which is derived from the two: scoped to the tenant, and the lookup FerretDB answers fast. */
  async findForTenant(tenantId: string, eventId: string): Promise<EventRecord | null> {
    return this.events.findOne({ _id: eventKey(tenantId, eventId) });
  }

  /** Stores the body only if none is stored yet, so every attempt sends the bytes first serialized. */
  async setBodyOnce(key: string, body: string, now: Date): Promise<string> {
    // Never over an erased payload: the document was to be forgotten.
    await this.events.updateOne(
      { _id: key, body: { $exists: false }, payloadErasedAt: { $exists: false } },
      { $set: { body, updatedAt: now } },
    );
    const stored = await this.events.findOne({ _id: key }, { projection: { body: 1 } });
    return stored?.body ?? body;
  }

  /**
   * Erases the event's body (the document snapshot) and says when; the metadata stays. A repeat keeps the
   * first time. Null when there is no such event.
   */
  async erasePayload(key: string, now: Date): Promise<EventRecord | null> {
    await this.events.updateOne(
      { _id: key, payloadErasedAt: { $exists: false } },
      { $set: { payloadErasedAt: now, updatedAt: now } },
    );
    return this.events.findOneAndUpdate({ _id: key }, { $unset: { body: '' } }, { returnDocument: 'after' });
  }

  /** Which of these events' payloads were erased. */
  async erasedAmong(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const found = await this.events
      .find({ _id: { $in: keys }, payloadErasedAt: { $exists: true } }, { projection: { _id: 1 } })
      .toArray();
    return new Set(found.map((e) => e._id));
  }

  async markFailed(key: string, reason: string, now: Date): Promise<void> {
    await this.events.updateOne({ _id: key }, { $set: { status: 'failed', failureReason: reason, updatedAt: now } });
  }

  async markDispatched(key: string, started: number, skipped: number, now: Date): Promise<void> {
    await this.events.updateOne(
      { _id: key },
      { $set: { status: 'dispatched', deliveriesStarted: started, deliveriesSkipped: skipped, updatedAt: now } },
    );
  }
}
