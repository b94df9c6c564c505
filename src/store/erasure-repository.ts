/**
 * A tenant's erasure (DELETE /v1/tenants/{id}): its record (what the operator polls, kept as the audit trail:
 * the tenant's ID and counts, nothing of its data), the seal that stops the tenant at once (keys and webhooks
 * gone), and the bounded pages that delete the rest. Every step is idempotent, so an erasure resumed after a
 * crash simply goes on.
 */
import crypto from 'node:crypto';
import type { Collection, Filter } from 'mongodb';
import {
  OPEN_DELIVERY_STATUSES,
  type AttemptRecord,
  type DeliveryRecord,
  type EndpointHoldRecord,
  type EndpointStateRecord,
  type EventRecord,
  type StatusHandOffRecord,
  type WebhookRecord,
} from './model';
import type { PortalSessionRecord } from './portal-session-repository';
import type { ApiKeyRecord, TenantRecord } from './tenant-repository';

export const ERASURE_STAGES = ['stopping', 'deleting', 'histories', 'completed'] as const;
export type ErasureStage = (typeof ERASURE_STAGES)[number];
export type ErasedKind = 'apiKeys' | 'webhooks' | 'events' | 'deliveries' | 'attempts' | 'workflows';

export interface ErasureRecord {
  _id: string;
  tenantId: string;
  stage: ErasureStage;
  requestedAt: Date;
  /** When no attempt of the tenant was being sent any more (nothing reaches its receivers after it). */
  sendingStoppedAt?: Date;
  completedAt?: Date;
  deleted: Record<ErasedKind, number>;
  updatedAt: Date;
}

export interface ErasureCollections {
  erasures: Collection<ErasureRecord>;
  tenants: Collection<TenantRecord>;
  apiKeys: Collection<ApiKeyRecord>;
  webhooks: Collection<WebhookRecord>;
  events: Collection<EventRecord>;
  deliveries: Collection<DeliveryRecord>;
  attempts: Collection<AttemptRecord>;
  portalSessions: Collection<PortalSessionRecord>;
  endpointStates: Collection<EndpointStateRecord>;
  endpointHolds: Collection<EndpointHoldRecord>;
  statusHandOffs: Collection<StatusHandOffRecord>;
}

const NONE_DELETED: Record<ErasedKind, number> = {
  apiKeys: 0,
  webhooks: 0,
  events: 0,
  deliveries: 0,
  attempts: 0,
  workflows: 0,
};

export class ErasureRepository {
  constructor(private readonly c: ErasureCollections) {}

  /**
   * The tenant's erasure: the one under way, or a new one. Marks the tenant (which then refuses new keys,
   * events and changes) unless another call marked it first, whose erasure is answered. Null: no such tenant.
   */
  async begin(tenantId: string, now: Date): Promise<ErasureRecord | null> {
    const id = `era_${crypto.randomBytes(8).toString('hex')}`;
    await this.c.tenants.updateOne({ _id: tenantId, erasureId: { $exists: false } }, { $set: { erasureId: id } });
    const tenant = await this.c.tenants.findOne({ _id: tenantId });
    if (!tenant?.erasureId) return null;
    const record: ErasureRecord = {
      _id: tenant.erasureId,
      tenantId,
      stage: 'stopping',
      requestedAt: now,
      deleted: { ...NONE_DELETED },
      updatedAt: now,
    };
    await this.c.erasures.updateOne({ _id: record._id }, { $setOnInsert: record }, { upsert: true });
    return this.c.erasures.findOne({ _id: record._id });
  }

  async findById(id: string): Promise<ErasureRecord | null> {
    return this.c.erasures.findOne({ _id: id });
  }

  /** The newest erasure of a tenant ID (a second DELETE after it completed answers it). */
  async latestForTenant(tenantId: string): Promise<ErasureRecord | null> {
    const [latest] = await this.c.erasures.find({ tenantId }).sort({ requestedAt: -1 }).limit(1).toArray();
    return latest ?? null;
  }

  /**
   * Stops the tenant at once: its API keys stop working and its webhooks are gone, so no attempt starts (an
   * attempt reads its webhook after claiming, and sends nothing once it is gone). Counted on the erasure.
   * Its portal sessions go with its keys (not counted: they are logins, not data).
   */
  async seal(erasureId: string, tenantId: string): Promise<void> {
    const keys = await this.c.apiKeys.deleteMany({ tenantId });
    await this.c.portalSessions.deleteMany({ tenantId });
    const webhooks = await this.c.webhooks.deleteMany({ tenantId });
    // What the engine kept about them goes with them (not counted: it is the webhooks' own).
    await this.c.endpointStates.deleteMany({ tenantId });
    await this.c.endpointHolds.deleteMany({ tenantId });
    await this.c.statusHandOffs.deleteMany({ tenantId });
    await this.count(erasureId, { apiKeys: keys.deletedCount, webhooks: webhooks.deletedCount });
  }

  /**
   * The tenant's deliveries an attempt may still be being sent for: its open ones, and those changed within
   * `recentMs` (a redelivery touches its delivery before its attempt). Their claims say whether one is.
   */
  async mayBeSending(tenantId: string, recentMs: number, now: Date): Promise<string[]> {
    const recent = new Date(now.getTime() - recentMs);
    const found = await this.c.deliveries
      .find(
        { tenantId, $or: [{ status: { $in: OPEN_DELIVERY_STATUSES } }, { updatedAt: { $gte: recent } }] },
        { projection: { _id: 1 } },
      )
      .toArray();
    return found.map((d) => d._id);
  }

  async stage(erasureId: string, stage: ErasureStage, now: Date, extra: Partial<ErasureRecord> = {}): Promise<void> {
    await this.c.erasures.updateOne({ _id: erasureId }, { $set: { stage, updatedAt: now, ...extra } });
  }

  async markSendingStopped(erasureId: string, now: Date): Promise<void> {
    await this.c.erasures.updateOne(
      { _id: erasureId, sendingStoppedAt: { $exists: false } },
      { $set: { sendingStoppedAt: now, updatedAt: now } },
    );
  }

  /**
   * One page of the tenant's records: a page of its deliveries with their attempts, then (once none is left)
   * its events, webhooks and keys. Answers what went; nothing: done. (Attempts left without a delivery by a
   * purge cut between its two deletes are the purge's: its next run removes them, they are past the retention.)
   */
  async deletePage(erasureId: string, tenantId: string, limit: number): Promise<Partial<Record<ErasedKind, number>>> {
    const deliveryIds = await this.pageOfIds(this.c.deliveries, { tenantId }, limit);
    if (deliveryIds.length > 0) {
      const attempts = await this.c.attempts.deleteMany({ deliveryId: { $in: deliveryIds } });
      const deliveries = await this.c.deliveries.deleteMany({ _id: { $in: deliveryIds } });
      return this.count(erasureId, { attempts: attempts.deletedCount, deliveries: deliveries.deletedCount });
    }
    for (const kind of ['events', 'webhooks', 'apiKeys'] as const) {
      const collection = this.c[kind] as unknown as Collection<{ _id: string; tenantId: string }>;
      const ids = await this.pageOfIds(collection, { tenantId }, limit);
      if (ids.length === 0) continue;
      const gone = await collection.deleteMany({ _id: { $in: ids } });
      return this.count(erasureId, { [kind]: gone.deletedCount });
    }
    return {};
  }

  async countWorkflows(erasureId: string, deleted: number): Promise<void> {
    await this.count(erasureId, { workflows: deleted });
  }

  /** The last step: the tenant record itself goes, and the erasure says it is complete. */
  async complete(erasureId: string, tenantId: string, now: Date): Promise<void> {
    // Last sweep: a request authenticated just before the seal may have added a webhook or a key since.
    await this.seal(erasureId, tenantId);
    await this.c.tenants.deleteOne({ _id: tenantId, erasureId });
    await this.stage(erasureId, 'completed', now, { completedAt: now });
  }

  private async count(
    erasureId: string,
    deleted: Partial<Record<ErasedKind, number>>,
  ): Promise<Partial<Record<ErasedKind, number>>> {
    const inc = Object.fromEntries(
      Object.entries(deleted)
        .filter(([, n]) => n !== undefined && n > 0)
        .map(([kind, n]) => [`deleted.${kind}`, n]),
    );
    if (Object.keys(inc).length > 0) await this.c.erasures.updateOne({ _id: erasureId }, { $inc: inc });
    return deleted;
  }

  private async pageOfIds<T extends { _id: string; tenantId: string }>(
    collection: Collection<T>,
    filter: Filter<T>,
    limit: number,
  ): Promise<string[]> {
    const found = await collection
      .find(filter, { projection: { _id: 1 } })
      .limit(limit)
      .toArray();
    return found.map((d) => d._id);
  }
}
