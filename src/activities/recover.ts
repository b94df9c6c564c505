/** Pages through a webhook's recoverable deliveries for the recover workflow, marking each as queued. */
import type { RecoverWebhookInput } from '../workflows/contracts';
import { continuedDeliveryInput } from './delivery-input';
import type { ActivityDeps } from './deps';

export function createClaimRecoverable(deps: ActivityDeps) {
  return async function claimRecoverable(input: RecoverWebhookInput & { limit: number }) {
    const webhook = await deps.store.webhooks.findForTenant(input.tenantId, input.webhookId);
    if (!webhook || webhook.status !== 'active') return { deliveries: [] };
    const page = await deps.store.deliveries.pageRecoverable(
      input.webhookId,
      new Date(input.since),
      new Date(input.until),
      input.afterDeliveryId,
      input.limit,
    );
    const now = deps.now?.() ?? new Date();
    // Marked pending before its run starts, so a second recover of the same window does not queue it twice.
    await Promise.all(
      page.map((d) => deps.store.deliveries.update(d._id, { status: 'pending', nextAttemptAt: null }, now)),
    );
    const deliveries = page.map((d) => ({
      workflowId: d.workflowId,
      input: continuedDeliveryInput(d, webhook, deps),
    }));
    return {
      deliveries,
      nextAfterDeliveryId: page.length === input.limit ? page[page.length - 1]?._id : undefined,
    };
  };
}
