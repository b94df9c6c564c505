/**
 * What the purge reads and deletes (docs/operations.md, "Retention"). A finished delivery older than its
 * tenant's retention goes with its attempts; an event goes once none of its deliveries is left; an attempt
 * whose delivery is gone (a purge stopped between the two deletes) is swept. Every delete re-checks its
 * condition, so a record that changed since it was read (a redelivery touches its delivery) stays.
 */
import type { Collection, Filter } from 'mongodb';
import { TERMINAL_DELIVERY_STATUSES, type AttemptRecord, type DeliveryRecord, type EventRecord } from './model';
import type { TenantRecord } from './tenant-repository';

/** Whose records a purge step covers, and what is old enough to go: one tenant, or all but some. */
export interface PurgeScope {
  tenantId?: string;
  excludeTenantIds?: string[];
  cutoff: Date;
}

/** One page of a purge step: how many records went, and where the next page starts (absent: done). */
export interface PurgePage {
  purged: number;
  nextAfterId?: string;
}

export class RetentionRepository {
  constructor(
    private readonly deliveries: Collection<DeliveryRecord>,
    private readonly attempts: Collection<AttemptRecord>,
    private readonly events: Collection<EventRecord>,
    private readonly tenants: Collection<TenantRecord>,
  ) {}

  /** Tenants the operator gave a retention of their own. */
  async tenantRetentions(): Promise<{ tenantId: string; retentionDays: number }[]> {
    const found = await this.tenants.find({ retentionDays: { $exists: true } }).toArray();
    return found.flatMap((t) =>
      t.retentionDays === undefined ? [] : [{ tenantId: t._id, retentionDays: t.retentionDays }],
    );
  }

  /** Finished deliveries last changed before the cutoff, and their attempts. */
  async purgeDeliveries(
    scope: PurgeScope,
    afterId: string | undefined,
    limit: number,
  ): Promise<PurgePage & { attempts: number }> {
    const old = { status: { $in: [...TERMINAL_DELIVERY_STATUSES] }, updatedAt: { $lt: scope.cutoff } };
    const ids = await this.pageOfIds(this.deliveries, { ...tenantsOf(scope), ...old }, afterId, limit);
    if (ids.length === 0) return { purged: 0, attempts: 0 };
    await this.deliveries.deleteMany({ _id: { $in: ids }, ...old });
    const left = new Set(
      (await this.deliveries.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id),
    );
    const gone = ids.filter((id) => !left.has(id));
    const attempts = gone.length > 0 ? (await this.attempts.deleteMany({ deliveryId: { $in: gone } })).deletedCount : 0;
    return { purged: gone.length, attempts, nextAfterId: next(ids, limit) };
  }

  /** Dispatched (or failed) events accepted before the cutoff with no delivery left. */
  async purgeEvents(scope: PurgeScope, afterId: string | undefined, limit: number): Promise<PurgePage> {
    const old = {
      createdAt: { $lt: scope.cutoff },
      status: { $in: ['dispatched', 'failed'] as EventRecord['status'][] },
    };
    const ids = await this.pageOfIds(this.events, { ...tenantsOf(scope), ...old }, afterId, limit);
    if (ids.length === 0) return { purged: 0 };
    const withDeliveries = new Set(await this.deliveries.distinct('eventKey', { eventKey: { $in: ids } }));
    const empty = ids.filter((id) => !withDeliveries.has(id));
    const purged = empty.length > 0 ? (await this.events.deleteMany({ _id: { $in: empty }, ...old })).deletedCount : 0;
    return { purged, nextAfterId: next(ids, limit) };
  }

  /** Attempts older than the cutoff whose delivery is gone. */
  async purgeOrphanAttempts(scope: PurgeScope, afterId: string | undefined, limit: number): Promise<PurgePage> {
    const filter: Filter<AttemptRecord> = { ...tenantsOf(scope), createdAt: { $lt: scope.cutoff } };
    if (afterId !== undefined) filter._id = { $gt: afterId };
    const page = await this.attempts
      .find(filter, { projection: { _id: 1, deliveryId: 1 } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    if (page.length === 0) return { purged: 0 };
    const deliveryIds = [...new Set(page.map((a) => a.deliveryId))];
    const existing = new Set(
      (await this.deliveries.find({ _id: { $in: deliveryIds } }, { projection: { _id: 1 } }).toArray()).map(
        (d) => d._id,
      ),
    );
    const orphans = page.filter((a) => !existing.has(a.deliveryId)).map((a) => a._id);
    const purged = orphans.length > 0 ? (await this.attempts.deleteMany({ _id: { $in: orphans } })).deletedCount : 0;
    return {
      purged,
      nextAfterId: next(
        page.map((a) => a._id),
        limit,
      ),
    };
  }

  /**
   * When the oldest event, delivery and attempt were written, and when the longest-finished delivery of the
   * tenants not excluded last changed (what the retention gauges show).
   */
  async oldest(excludeTenantIds: string[]): Promise<{
    events?: Date;
    deliveries?: Date;
    attempts?: Date;
    finishedDelivery?: Date;
  }> {
    const first = async <T extends { createdAt: Date }>(c: Collection<T>) =>
      (
        await c
          .find({}, { projection: { createdAt: 1 } })
          .sort({ createdAt: 1 })
          .limit(1)
          .toArray()
      )[0]?.createdAt;
    const finished = await this.deliveries
      .find(
        { ...tenantsOf({ excludeTenantIds, cutoff: new Date() }), status: { $in: [...TERMINAL_DELIVERY_STATUSES] } },
        { projection: { updatedAt: 1 } },
      )
      .sort({ updatedAt: 1 })
      .limit(1)
      .toArray();
    return {
      events: await first(this.events),
      deliveries: await first(this.deliveries),
      attempts: await first(this.attempts),
      finishedDelivery: finished[0]?.updatedAt,
    };
  }

  private async pageOfIds<T extends { _id: string }>(
    collection: Collection<T>,
    filter: Filter<T>,
    afterId: string | undefined,
    limit: number,
  ): Promise<string[]> {
    const query = (afterId === undefined ? filter : { ...filter, _id: { $gt: afterId } }) as Filter<T>;
    const found = await collection
      .find(query, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return found.map((d) => d._id);
  }
}

function tenantsOf(scope: PurgeScope): { tenantId?: string | { $nin: string[] } } {
  if (scope.tenantId !== undefined) return { tenantId: scope.tenantId };
  if (scope.excludeTenantIds && scope.excludeTenantIds.length > 0)
    return { tenantId: { $nin: scope.excludeTenantIds } };
  return {};
}

/** A full page may have more after it; a short one is the last. */
function next(ids: string[], limit: number): string | undefined {
  return ids.length === limit ? ids[ids.length - 1] : undefined;
}
