/**
 * Pages through a webhook's recoverable deliveries (failed or skipped, in a window) for the recover workflow,
 * and asks each delivery's workflow to re-open with a fresh schedule (a `recover` signal, starting a run from
 * the record when none runs). It writes no status: the workflow records `pending` when it re-opens.
 */
import type { RecoverPageResult, RecoverWebhookInput } from '../workflows/contracts';
import { signalDelivery } from '../client/delivery-messages';
import { continuedDeliveryInput } from './delivery-input';
import type { ActivityDeps } from './deps';

export function createRecoverPage(deps: ActivityDeps) {
  return async function recoverPage(input: RecoverWebhookInput & { limit: number }): Promise<RecoverPageResult> {
    const temporal = deps.temporal;
    if (!temporal || !deps.taskQueue) throw new Error('recoverPage needs a Temporal client and the task queue');
    const webhook = await deps.store.webhooks.findForTenant(input.tenantId, input.webhookId);
    if (!webhook || webhook.status !== 'active') return { recovered: 0 };
    const page = await deps.store.deliveries.pageRecoverable(
      input.webhookId,
      new Date(input.since),
      new Date(input.until),
      input.afterDeliveryId,
      input.limit,
    );
    const now = deps.now?.() ?? new Date();
    // A delivery of an erased payload has nothing to send: it is not re-opened (it stays as it ended).
    const erased = await deps.store.events.erasedAmong([...new Set(page.map((d) => d.eventKey))]);
    const reopened = page.filter((d) => !erased.has(d.eventKey));
    await Promise.all(
      reopened.map((d) =>
        signalDelivery(
          { temporal, taskQueue: deps.taskQueue as string },
          d,
          continuedDeliveryInput(d, webhook, deps, now),
          {
            signal: 'recover',
          },
        ),
      ),
    );
    return {
      recovered: reopened.length,
      nextAfterDeliveryId: page.length === input.limit ? page[page.length - 1]?._id : undefined,
    };
  };
}
