/**
 * One platform event: build and store the body once, then start one deliveryWorkflow per active subscriber
 * and finish. Children are abandoned, not awaited, so one slow endpoint never holds the others. Subscribers
 * are read in pages and the workflow continues as new after a batch of children, so an event with thousands
 * of subscribers stays far below the server's pending-children limit and keeps a short history.
 */
import {
  continueAsNew,
  ParentClosePolicy,
  proxyLocalActivities,
  setCurrentDetails,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { deliverySummary } from '../delivery/summary';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { DeliveryWorkflowInput, PlatformEventInput, PlatformEventResult, EventActivities } from './contracts';
import { deliveryWorkflow } from './delivery-workflow';
import { deliverySearchAttributes } from './search-attribute-keys';

const PAGE_SIZE = 200;
/** Children started per run before continuing as new (the server refuses more than 2000 pending). */
const CHILDREN_PER_RUN = 1000;
/** Child starts in flight at once. */
const START_CONCURRENCY = 50;

/**
 * A page's records are 4 inserts of 50 (INSERT_BATCH): well under a second on an idle store, up to tens of
 * seconds on FerretDB/SQLite under a 1,200-webhook fan-out (docs/performance.md). A try that runs past this
 * is not written over: its retry waits for it (dispatchEvent's single flight).
 */
const DISPATCH_TIMEOUT = '2 minutes';

const { dispatchEvent: dispatchEventDefault } = proxyLocalActivities<EventActivities>({
  startToCloseTimeout: DISPATCH_TIMEOUT,
  retry: INFRASTRUCTURE_RETRY,
});

/**
 * Per page one local activity (the page's delivery records, and on the last page the event marked
 * dispatched) and the children's starts, all in one workflow task, with nothing after them.
 */
export async function platformEventWorkflow(input: PlatformEventInput): Promise<PlatformEventResult> {
  const eventKey = `${input.tenantId}:${input.eventId}`;
  const pageSize = input.pageSize ?? PAGE_SIZE;
  const childrenPerRun = input.childrenPerRun ?? CHILDREN_PER_RUN;
  let afterWebhookId = input.cursor?.afterWebhookId;
  let started = input.cursor?.started ?? 0;
  let skipped = input.cursor?.skipped ?? 0;
  let startedThisRun = 0;
  const dispatchEvent =
    input.dispatchTimeoutMs === undefined
      ? dispatchEventDefault
      : proxyLocalActivities<EventActivities>({
          startToCloseTimeout: input.dispatchTimeoutMs,
          retry: INFRASTRUCTURE_RETRY,
        }).dispatchEvent;
  for (;;) {
    const page = await dispatchEvent({
      eventKey,
      afterWebhookId,
      limit: pageSize,
      startedBefore: started,
      skippedBefore: skipped,
      platformEvent: {
        tenantId: input.tenantId,
        eventId: input.eventId,
        event: input.event,
        documentId: input.documentId,
        occurredAt: input.occurredAt,
      },
    });
    if (page.status === 'failed') return page;
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
  showFanOut(input, started, skipped);
  return { status: 'dispatched', deliveriesStarted: started, deliveriesSkipped: skipped };
}

function showFanOut(input: PlatformEventInput, started: number, skipped: number): void {
  setCurrentDetails(
    `${input.event} for tenant ${input.tenantId}: ${started} webhook${started === 1 ? '' : 's'}` +
      (skipped > 0 ? `, ${skipped} inactive (skipped)` : ''),
  );
}

async function startDelivery(workflowId: string, input: DeliveryWorkflowInput): Promise<void> {
  try {
    await startChild(deliveryWorkflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: deliverySearchAttributes(input, 'pending', 0),
      staticSummary: deliverySummary(input.event, input.target ?? 'endpoint'),
    });
  } catch (err) {
    // Already started by an earlier run of this event (a reset or a replayed batch): nothing to do.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
