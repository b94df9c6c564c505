/** The input of a delivery workflow: a fresh one (dispatch, a test event) or one that goes on from its record. */
import { ERASED_REASON, initialFate, type Fate } from '../delivery/fate';
import { endpointTarget } from '../delivery/summary';
import { flowSettingsOf, type DeliveryRecord, type PlatformEvent, type WebhookRecord } from '../store/model';
import type { DeliveryWorkflowInput } from '../workflows/contracts';
import type { ActivityDeps } from './deps';

export type DeliveryInputDeps = Pick<
  ActivityDeps,
  'defaultRetrySchedule' | 'retryPolicy' | 'pauseRecheckSeconds' | 'pauseRecheckMaxSeconds' | 'historyLimit'
>;

export interface DeliveryIdentity {
  deliveryId: string;
  tenantId: string;
  webhookId: string;
  eventId: string;
  event: PlatformEvent;
  eventAcceptedAt?: Date;
  documentId?: string;
}

/** A delivery due now, to a webhook that is active at its current status version. */
export function freshDeliveryInput(
  d: DeliveryIdentity,
  webhook: WebhookRecord,
  deps: DeliveryInputDeps,
): DeliveryWorkflowInput {
  return {
    deliveryId: d.deliveryId,
    tenantId: d.tenantId,
    webhookId: d.webhookId,
    eventId: d.eventId,
    event: d.event,
    retrySchedule: webhook.retrySchedule ?? deps.defaultRetrySchedule,
    retryPolicy: deps.retryPolicy,
    webhookStatusVersion: webhook.statusVersion ?? 0,
    pauseRecheckSeconds: deps.pauseRecheckSeconds,
    pauseRecheckMaxSeconds: deps.pauseRecheckMaxSeconds,
    historyLimit: deps.historyLimit,
    target: endpointTarget(webhook.url),
    ...(d.eventAcceptedAt ? { eventAcceptedAt: d.eventAcceptedAt.toISOString() } : {}),
    ...(d.documentId ? { documentId: d.documentId } : {}),
    ...(flowSettingsOf(webhook) ? { gated: true } : {}),
  };
}

/**
 * A run that goes on from what the record says (the reconciler, a redelivery or recover of a delivery whose
 * run has ended): its status, attempt count and place in the schedule, and the webhook's true status and
 * version as read now, so a paused delivery stays paused.
 */
export function continuedDeliveryInput(
  d: DeliveryRecord,
  webhook: WebhookRecord,
  deps: DeliveryInputDeps,
  now: Date,
): DeliveryWorkflowInput {
  return {
    ...freshDeliveryInput({ ...d, deliveryId: d._id }, webhook, deps),
    webhookStatusVersion: undefined,
    resume: fateOfRecord(d, webhook, now),
  };
}

export function fateOfRecord(d: DeliveryRecord, webhook: WebhookRecord, now: Date): Fate {
  const erased = d.status === 'failed' && d.lastError === ERASED_REASON;
  return initialFate({
    now: now.getTime(),
    status: d.status,
    attempts: d.attemptCount,
    scheduleStep: d.scheduleStep ?? 0,
    nextAttemptAt: d.nextAttemptAt?.getTime(),
    webhook: { status: webhook.status, version: webhook.statusVersion ?? 0 },
    reason: d.status === 'cancelled' || erased ? d.lastError : undefined,
    erased,
    gated: flowSettingsOf(webhook) ? true : undefined,
  });
}

/** A delivery whose webhook is gone: enough of an input for a run that records its cancel. */
export function orphanedDeliveryInput(d: DeliveryRecord, now: Date): DeliveryWorkflowInput {
  return {
    deliveryId: d._id,
    tenantId: d.tenantId,
    webhookId: d.webhookId,
    eventId: d.eventId,
    event: d.event,
    retrySchedule: [],
    resume: initialFate({
      now: now.getTime(),
      status: d.status,
      attempts: d.attemptCount,
      scheduleStep: d.scheduleStep ?? 0,
      webhook: { status: 'inactive', version: Number.MAX_SAFE_INTEGER },
    }),
  };
}
