/** Signals, queries and updates of deliveryWorkflow: every way the rest of the engine asks a delivery anything. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryState, RedeliveryAnswer, WebhookStatusChange } from './contracts';

/**
 * The webhook's status as of a version: inactive pauses (nothing in flight is cut, no new attempt starts),
 * active resumes. Applied only when newer than the version the delivery already has.
 */
export const webhookStatusSignal = defineSignal<[WebhookStatusChange]>('webhookStatus');
/** Stop for good (the records stay); an attempt in flight finishes first. The reason defaults to a deleted webhook. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');
/**
 * The event's payload was erased: an open delivery ends `failed` (reason `erased`; an attempt in flight ends
 * first, and a success still wins), and nothing is ever sent for it again.
 */
export const erasePayloadSignal = defineSignal('erasePayload');
/** Cut the current backoff short. */
export const retryNowSignal = defineSignal('retryNow');
/** Re-open a failed or skipped delivery with a fresh retry schedule (POST /v1/webhooks/{id}/recover). */
export const recoverSignal = defineSignal('recover');
/**
 * One manual attempt, made when the webhook is active and no other attempt is in flight; answers its outcome.
 * The argument is the request's ID: the same ID gets the same attempt and answer for the delivery's life.
 */
export const redeliverUpdate = defineUpdate<RedeliveryAnswer, [requestId: string]>('redeliver');
export const deliveryStateQuery = defineQuery<DeliveryState>('deliveryState');
