/**
 * The purge's activities (purgeWorkflow): which tenants keep their records how long, then one bounded page
 * of each step at a time. Each page is idempotent (it deletes only what is old enough when it deletes), so a
 * retried or restarted purge simply goes on.
 */
import type { PurgePageInput, PurgePageResult, PurgePlan, RetentionReport } from '../workflows/contracts';
import type { ActivityDeps } from './deps';

const DAY_MS = 86_400_000;

export function createPurgeActivities(deps: ActivityDeps) {
  const now = (): Date => deps.now?.() ?? new Date();
  const log = deps.logger.child({ module: 'purge' });
  const retention = deps.retention ?? { retentionDays: 30 };
  const dayMs = retention.dayMs ?? DAY_MS;

  /** One scope per tenant with a retention of its own, and one for every other tenant. */
  async function planPurge(): Promise<PurgePlan> {
    const at = now().getTime();
    const own = await deps.store.retention.tenantRetentions();
    const cutoff = (days: number) => new Date(at - days * dayMs).toISOString();
    return {
      scopes: [
        ...own.map((t) => ({ tenantId: t.tenantId, cutoff: cutoff(t.retentionDays) })),
        { excludeTenantIds: own.map((t) => t.tenantId), cutoff: cutoff(retention.retentionDays) },
      ],
    };
  }

  async function purgePage(input: PurgePageInput): Promise<PurgePageResult> {
    const scope = { ...input.scope, cutoff: new Date(input.scope.cutoff) };
    const { retention: store } = deps.store;
    switch (input.step) {
      case 'deliveries': {
        const page = await store.purgeDeliveries(scope, input.afterId, input.limit);
        deps.purged?.('deliveries', page.purged);
        deps.purged?.('attempts', page.attempts);
        return page;
      }
      case 'events': {
        const page = await store.purgeEvents(scope, input.afterId, input.limit);
        deps.purged?.('events', page.purged);
        return page;
      }
      case 'attempts': {
        const page = await store.purgeOrphanAttempts(scope, input.afterId, input.limit);
        deps.purged?.('attempts', page.purged);
        return page;
      }
    }
  }

  /** How old the oldest records are, and how far past the default retention the purge has left one (its lag). */
  async function reportRetention(totals: { purged: number; ownRetention: string[] }): Promise<RetentionReport> {
    const oldest = await deps.store.retention.oldest(totals.ownRetention);
    const at = now().getTime();
    const ageSeconds = (d?: Date) => (d ? Math.max(0, (at - d.getTime()) / 1000) : 0);
    const retentionSeconds = (retention.retentionDays * dayMs) / 1000;
    const report: RetentionReport = {
      oldestSeconds: {
        events: ageSeconds(oldest.events),
        deliveries: ageSeconds(oldest.deliveries),
        attempts: ageSeconds(oldest.attempts),
      },
      lagSeconds: Math.max(0, ageSeconds(oldest.finishedDelivery) - retentionSeconds),
      retentionSeconds,
    };
    deps.retentionReported?.(report);
    log.info({ purged: totals.purged, oldestSeconds: report.oldestSeconds }, 'purge finished');
    return report;
  }

  return { planPurge, purgePage, reportRetention };
}
