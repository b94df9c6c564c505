/** Signals, queries and updates of deliveryWorkflow. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AttemptResult, DeliveryState } from './contracts';

/** The webhook was set inactive: finish nothing in flight, start no new attempt until resumed. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** The webhook was deleted: stop for good (the records stay). */
export const cancelSignal = defineSignal('cancel');
/** Cut the current backoff short. */
export const retryNowSignal = defineSignal('retryNow');
/** One manual attempt now; returns its outcome. */
export const redeliverUpdate = defineUpdate<AttemptResult>('redeliver');
export const deliveryStateQuery = defineQuery<DeliveryState>('deliveryState');
