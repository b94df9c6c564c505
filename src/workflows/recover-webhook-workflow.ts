/**
 * Re-sends a webhook's failed deliveries and the ones it skipped while inactive, within a time window, paced
 * so that a receiver that just came back is not flooded. Each becomes a new automatic run of its own
 * delivery workflow (same ID, same X-Docflo-Delivery), with the full retry schedule.
 */
import {
  continueAsNew,
  ParentClosePolicy,
  proxyActivities,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../activities';
import { deliverySummary } from '../delivery/summary';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { RecoverWebhookInput } from './contracts';
import { deliveryWorkflow } from './delivery-workflow';
import { deliverySearchAttributes } from './search-attribute-keys';

type Activities = ReturnType<typeof createActivities>;

const { claimRecoverable } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: INFRASTRUCTURE_RETRY,
});

/** Deliveries started per second. */
const PACE_PER_SECOND = 10;
const PER_RUN = 500;

export async function recoverWebhookWorkflow(input: RecoverWebhookInput): Promise<{ queued: number }> {
  let queued = input.queued ?? 0;
  let afterDeliveryId = input.afterDeliveryId;
  let thisRun = 0;
  for (;;) {
    const page = await claimRecoverable({ ...input, afterDeliveryId, limit: PACE_PER_SECOND });
    for (const item of page.deliveries) {
      try {
        await startChild(deliveryWorkflow, {
          workflowId: item.workflowId,
          args: [item.input],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: deliverySearchAttributes(item.input, 'pending', item.input.attemptsSoFar ?? 0),
          ...(item.input.target ? { staticSummary: deliverySummary(item.input.event, item.input.target) } : {}),
        });
      } catch (err) {
        // Already running (redelivered by hand meanwhile): it is being delivered, which is what we want.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    queued += page.deliveries.length;
    thisRun += page.deliveries.length;
    if (page.nextAfterDeliveryId === undefined) return { queued };
    afterDeliveryId = page.nextAfterDeliveryId;
    if (thisRun >= PER_RUN) return continueAsNew<typeof recoverWebhookWorkflow>({ ...input, afterDeliveryId, queued });
    await sleep('1 second');
  }
}
