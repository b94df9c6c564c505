/**
 * Re-sends a webhook's failed deliveries and the ones it skipped while inactive, within a time window, paced
 * so that a receiver that just came back is not flooded. Each delivery's own workflow re-opens it (same ID,
 * same X-Docflo-Delivery) with the full retry schedule: this workflow only asks, page by page.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { RecoverActivities, RecoverWebhookInput } from './contracts';

const { recoverPage } = proxyActivities<RecoverActivities>({
  startToCloseTimeout: '1 minute',
  retry: INFRASTRUCTURE_RETRY,
});

/** Deliveries re-opened per second. */
const PACE_PER_SECOND = 10;
const PER_RUN = 500;

export async function recoverWebhookWorkflow(input: RecoverWebhookInput): Promise<{ queued: number }> {
  let queued = input.queued ?? 0;
  let afterDeliveryId = input.afterDeliveryId;
  let thisRun = 0;
  for (;;) {
    const page = await recoverPage({ ...input, afterDeliveryId, limit: PACE_PER_SECOND });
    queued += page.recovered;
    thisRun += page.recovered;
    if (page.nextAfterDeliveryId === undefined) return { queued };
    afterDeliveryId = page.nextAfterDeliveryId;
    if (thisRun >= PER_RUN) return continueAsNew<typeof recoverWebhookWorkflow>({ ...input, afterDeliveryId, queued });
    await sleep('1 second');
  }
}
