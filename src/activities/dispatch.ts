/**
 * Pages through an event's subscribers: each active webhook gets a delivery record and a child workflow to
 * start; each inactive one gets a `skipped` record, so what it missed can be replayed later.
 */
import { endpointTarget } from '../delivery/summary';
import { deliveryIdFor } from '../ids';
import type { DeliveryRecord } from '../store/model';
import type { DeliveryWorkflowInput } from '../workflows/contracts';
import { deliveryWorkflowId } from '../workflows/ids';
import type { ActivityDeps } from './deps';

export interface DispatchPageInput {
  eventKey: string;
  afterWebhookId?: string;
  limit: number;
}

export interface DispatchPageResult {
  deliveries: { workflowId: string; input: DeliveryWorkflowInput }[];
  skipped: number;
  /** Undefined on the last page. */
  nextAfterWebhookId?: string;
}

export function createDispatchActivities(deps: ActivityDeps) {
  async function dispatchPage(input: DispatchPageInput): Promise<DispatchPageResult> {
    const event = await deps.store.events.findByKey(input.eventKey);
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
        workflowId,
        status: webhook.status === 'active' ? 'pending' : 'skipped',
        attemptCount: 0,
        createdAt: now,
        updatedAt: now,
      };
      records.push(record);
      if (webhook.status !== 'active') {
        result.skipped++;
        return;
      }
      result.deliveries.push({
        workflowId,
        input: {
          deliveryId,
          tenantId: event.tenantId,
          webhookId: webhook._id,
          eventId: event.eventId,
          event: event.event,
          retrySchedule: webhook.retrySchedule ?? deps.defaultRetrySchedule,
          webhookStatusVersion: webhook.statusVersion ?? 0,
          pauseRecheckSeconds: deps.pauseRecheckSeconds,
          target: endpointTarget(webhook.url),
        },
      });
    });
    // One command for the page's records, each created only if absent (dispatch may run twice).
    await deps.store.deliveries.ensureMany(records);
    result.deliveries.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
    if (webhooks.length === input.limit) result.nextAfterWebhookId = webhooks[webhooks.length - 1]?._id;
    return result;
  }

  async function completeEvent(input: { eventKey: string; started: number; skipped: number }): Promise<void> {
    await deps.store.events.markDispatched(input.eventKey, input.started, input.skipped, deps.now?.() ?? new Date());
  }

  return { dispatchPage, completeEvent };
}
