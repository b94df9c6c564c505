/**
 * Started by the `docflo-reconcile:<task queue>` Schedule every RECONCILE_INTERVAL: pages through delivery
 * records that say open, repairs those with no running workflow, and returns what it repaired (also logged).
 */
import { proxyActivities } from '@temporalio/workflow';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { Repair, ReconcileActivities } from './contracts';

const { reconcilePage, rehandWebhookStatuses } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: INFRASTRUCTURE_RETRY,
});

const PAGE = 100;
/** Pages per run: a backlog larger than this is finished by the next scheduled run. */
const MAX_PAGES = 20;

export async function reconcileDeliveriesWorkflow(input: { olderThanSeconds?: number } = {}) {
  const olderThanSeconds = input.olderThanSeconds ?? 60;
  const rehanded = await rehandWebhookStatuses({ olderThanSeconds, limit: 500 });
  const repairs: Repair[] = [];
  let afterId: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await reconcilePage({ olderThanSeconds, afterId, limit: PAGE });
    repairs.push(...result.repairs);
    if (!result.nextAfterId) break;
    afterId = result.nextAfterId;
  }
  return { rehandedWebhooks: rehanded, repairs };
}
