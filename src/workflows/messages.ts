/** Signals, queries and updates of deliveryWorkflow. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AttemptResult, DeliveryState, WebhookStatusChange } from './contracts';

/**
 * The webhook's status as of a version: inactive pauses (nothing in flight is cut, no new attempt starts),
 * active resumes. Applied only when newer than the version the delivery already has.
 */
export const webhookStatusSignal = defineSignal<[WebhookStatusChange]>('webhookStatus');
/** Unversioned pause and resume: understood by deliveries started before webhookStatus existed, ignored since. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** The webhook was deleted: stop for good (the records stay). */
export const cancelSignal = defineSignal('cancel');
/** Cut the current backoff short. */
export const retryNowSignal = defineSignal('retryNow');
/** One manual attempt now; returns its outcome. The argument is the request's ID, kept with the attempt. */
export const redeliverUpdate = defineUpdate<AttemptResult, [requestId: string]>('redeliver');
export const deliveryStateQuery = defineQuery<DeliveryState>('deliveryState');
