/**
 * One platform event: build and store the body once, then start one deliveryWorkflow per active subscriber
 * and finish. Children are abandoned, not awaited, so one slow endpoint never holds the others. Subscribers
 * are read in pages and the workflow continues as new after a batch of children, so an event with thousands
 * of subscribers stays far below the server's pending-children limit and keeps a short history.
 */
import {
  continueAsNew,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../activities';
import { deliverySummary } from '../delivery/summary';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { DeliveryWorkflowInput, PlatformEventInput, PlatformEventResult } from './contracts';
import { deliveryWorkflow } from './delivery-workflow';
import { deliverySearchAttributes } from './search-attribute-keys';

type Activities = ReturnType<typeof createActivities>;

const { prepareEvent, dispatchPage, completeEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: INFRASTRUCTURE_RETRY,
});

const PAGE_SIZE = 200;
/** Children started per run before continuing as new (the server refuses more than 2000 pending). */
const CHILDREN_PER_RUN = 1000;
/** Child starts in flight at once. */
const START_CONCURRENCY = 50;

export async function platformEventWorkflow(input: PlatformEventInput): Promise<PlatformEventResult> {
  const eventKey = `${input.tenantId}:${input.eventId}`;
  // Reading an optional input field issues no command: replay-safe for histories recorded without them.
  const pageSize = input.pageSize ?? PAGE_SIZE;
  const childrenPerRun = input.childrenPerRun ?? CHILDREN_PER_RUN;
  if (!input.cursor) {
    const prepared = await prepareEvent({ ...input });
    if (prepared.status !== 'ready') return prepared.status === 'failed' ? prepared : { status: 'duplicate' };
  }
  let afterWebhookId = input.cursor?.afterWebhookId;
  let started = input.cursor?.started ?? 0;
  let skipped = input.cursor?.skipped ?? 0;
  let startedThisRun = 0;

  for (;;) {
    const page = await dispatchPage({ eventKey, afterWebhookId, limit: pageSize });
    skipped += page.skipped;
    for (let i = 0; i < page.deliveries.length; i += START_CONCURRENCY) {
      await Promise.all(
        page.deliveries.slice(i, i + START_CONCURRENCY).map((d) => startDelivery(d.workflowId, d.input)),
      );
    }
    started += page.deliveries.length;
    startedThisRun += page.deliveries.length;
    if (page.nextAfterWebhookId === undefined) break;
    afterWebhookId = page.nextAfterWebhookId;
    if (startedThisRun >= childrenPerRun) {
      return continueAsNew<typeof platformEventWorkflow>({ ...input, cursor: { afterWebhookId, started, skipped } });
    }
  }
  setCurrentDetails(
    `${input.event} for tenant ${input.tenantId}: ${started} webhook${started === 1 ? '' : 's'}` +
      (skipped > 0 ? `, ${skipped} inactive (skipped)` : ''),
  );
  await completeEvent({ eventKey, started, skipped });
  return { status: 'dispatched', deliveriesStarted: started, deliveriesSkipped: skipped };
}

async function startDelivery(workflowId: string, input: DeliveryWorkflowInput): Promise<void> {
  try {
    await startChild(deliveryWorkflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: deliverySearchAttributes(input, 'pending', 0),
      // Only inputs built by this release carry a target; older ones start as they always did.
      ...(input.target ? { staticSummary: deliverySummary(input.event, input.target) } : {}),
    });
  } catch (err) {
    // Already started by an earlier run of this event (a reset or a replayed batch): nothing to do.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
