/** The input of a delivery workflow that goes on from a stored delivery (recover, the reconciler). */
import { endpointTarget } from '../delivery/summary';
import type { DeliveryRecord, WebhookRecord } from '../store/model';
import type { DeliveryWorkflowInput } from '../workflows/contracts';
import type { ActivityDeps } from './deps';

export function continuedDeliveryInput(
  d: DeliveryRecord,
  webhook: WebhookRecord,
  deps: Pick<ActivityDeps, 'defaultRetrySchedule' | 'pauseRecheckSeconds'>,
): DeliveryWorkflowInput {
  return {
    deliveryId: d._id,
    tenantId: d.tenantId,
    webhookId: d.webhookId,
    eventId: d.eventId,
    event: d.event,
    retrySchedule: webhook.retrySchedule ?? deps.defaultRetrySchedule,
    attemptsSoFar: d.attemptCount,
    webhookStatusVersion: webhook.statusVersion ?? 0,
    pauseRecheckSeconds: deps.pauseRecheckSeconds,
    target: endpointTarget(webhook.url),
    ...(d.eventAcceptedAt ? { eventAcceptedAt: d.eventAcceptedAt.toISOString() } : {}),
  };
}
