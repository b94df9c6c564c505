/**
 * Pages through an event's subscribers: each active webhook gets a delivery record and a child workflow to
 * start; each inactive one gets a `skipped` record, so what it missed can be replayed later.
 */
import { deliveryIdFor } from '../ids';
import { ERASED_REASON, type DeliveryRecord, type EventRecord } from '../store/model';
import type {
  DispatchEventInput,
  DispatchEventResult,
  DispatchPageInput,
  DispatchPageResult,
} from '../workflows/contracts';
import { deliveryWorkflowId } from '../workflows/ids';
import type { ActivityDeps } from './deps';
import { freshDeliveryInput } from './delivery-input';
import { createPrepareEvent } from './prepare-event';
import { SingleFlight } from './single-flight';

export function createDispatchActivities(deps: ActivityDeps) {
  const prepareEvent = createPrepareEvent(deps);
  // A local activity's retry runs in the worker whose try timed out, and that try cannot be stopped mid-write:
  // the retry waits for it and takes its result instead of writing the page over it.
  const pageWrites = new SingleFlight<DispatchEventResult>({
    maxJoinMs: 10 * 60_000,
    onJoin: (key) =>
      deps.logger.warn({ page: key }, 'a page dispatch is retried while its previous try still runs: waiting for it'),
  });

  async function dispatchPage(input: DispatchPageInput, stored?: EventRecord): Promise<DispatchPageResult> {
    const event = stored ?? (await deps.store.events.findByKey(input.eventKey));
    if (!event) throw new Error(`event ${input.eventKey} is not stored`);
    const webhooks = await deps.store.webhooks.pageForEvent(
      event.tenantId,
      event.event,
      input.afterWebhookId,
      input.limit,
    );
    const now = deps.now?.() ?? new Date();
    const result: DispatchPageResult = { deliveries: [], skipped: 0 };
    // The deliveries about to start read this body: this worker keeps it (it never changes).
    if (event.body !== undefined) deps.bodies?.set(event._id, event.body);
    const records: DeliveryRecord[] = [];
    webhooks.forEach((webhook) => {
      const deliveryId = deliveryIdFor(webhook._id, event._id);
      const workflowId = deliveryWorkflowId(webhook._id, event.eventId);
      const record: DeliveryRecord = {
        _id: deliveryId,
        tenantId: event.tenantId,
        webhookId: webhook._id,
        eventKey: event._id,
        eventId: event.eventId,
        event: event.event,
        documentId: event.documentId,
        workflowId,
        eventAcceptedAt: event.createdAt,
        status: webhook.status === 'active' ? 'pending' : 'skipped',
        attemptCount: 0,
        createdAt: now,
        updatedAt: now,
      };
      // Its payload was erased before this page (a dispatch resumed late): nothing can be sent, no run starts.
      if (event.payloadErasedAt) Object.assign(record, { status: 'failed', lastError: ERASED_REASON });
      records.push(record);
      if (record.status !== 'pending') {
        result.skipped++;
        return;
      }
      result.deliveries.push({
        workflowId,
        input: freshDeliveryInput({ ...record, deliveryId }, webhook, deps),
      });
    });
    // Each record created only if absent (dispatch may run twice), in inserts of bounded size.
    await deps.store.deliveries.insertAbsent(records);
    result.deliveries.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
    if (webhooks.length === input.limit) result.nextAfterWebhookId = webhooks[webhooks.length - 1]?._id;
    return result;
  }

  /**
   * The event workflow's one step per page (a local activity, event-v2): the page's delivery records in one
   * bulk write, the children to start, and on the last page the event marked dispatched, so nothing trails
   * the children's start. An event accepted by a release before bodies were stored at publish gets its body
   * built here, once.
   */
  function dispatchEvent(input: DispatchEventInput): Promise<DispatchEventResult> {
    const page = `${input.eventKey}|${input.afterWebhookId ?? ''}|${input.limit}`;
    return pageWrites.run(page, () => dispatchEventOnce(input));
  }

  async function dispatchEventOnce(input: DispatchEventInput): Promise<DispatchEventResult> {
    let event = await deps.store.events.findByKey(input.eventKey);
    if (event?.body === undefined && !event?.payloadErasedAt) {
      // Published by an API of the release before bodies were stored at publish (a rolling deploy): build it.
      // (An erased payload is never rebuilt: its deliveries each find it erased and end `failed`.)
      const prepared = await prepareEvent(input.platformEvent);
      if (prepared.status === 'failed') return { status: 'failed', reason: prepared.reason };
      event = await deps.store.events.findByKey(input.eventKey);
      if (!event) throw new Error(`event ${input.eventKey} is not stored`);
    }
    const page = await dispatchPage(input, event);
    if (page.nextAfterWebhookId === undefined) {
      await deps.store.events.markDispatched(
        input.eventKey,
        input.startedBefore + page.deliveries.length,
        input.skippedBefore + page.skipped,
        deps.now?.() ?? new Date(),
      );
    }
    return { status: 'ready', ...page };
  }

  return { dispatchPage, dispatchEvent };
}
