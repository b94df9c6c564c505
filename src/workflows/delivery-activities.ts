/**
 * What a delivery run asks of the outside world, as a narrow interface (the workflow never sees the worker's
 * activity factory), and the proxies that carry it out.
 */
import { proxyActivities, proxyLocalActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { DeliveryActivities } from './contracts';
import { pacedTaskQueue } from './ids';

/** What a run calls: the activities, and sendAttempt on the paced task queue for an attempt under a permit. */
export interface DeliveryRunActivities extends DeliveryActivities {
  sendPermittedAttempt: DeliveryActivities['sendAttempt'];
}

// The send is bounded at DELIVERY_TIMEOUT_MS (30 s by default); a regular attempt runs under a 10-second
// heartbeat, so a worker that stops anywhere in it is noticed in seconds. Infrastructure failures retry forever.
// Three minutes outlast the longest claim lease (DELIVERY_TIMEOUT_MS at most 120 s, plus the margin) that a
// try may wait out before it closes another's claim.
const REGULAR: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: INFRASTRUCTURE_RETRY,
};
const regular = proxyActivities<Pick<DeliveryActivities, 'sendAttempt' | 'awaitAttempt'>>(REGULAR);
// Local: inside the workflow task, so a delivery that succeeds at once costs one workflow task
// (docs/performance.md). The first attempt answers within its budget; the state write is one store command.
const local = proxyLocalActivities<Omit<DeliveryActivities, 'sendAttempt' | 'awaitAttempt'>>({
  startToCloseTimeout: '30 seconds',
  retry: INFRASTRUCTURE_RETRY,
});

// Proxies have no own properties to spread: each activity is named.
export const deliveryActivities: DeliveryRunActivities = {
  sendAttempt: regular.sendAttempt,
  // The paced queue is named after the run's own (known only inside a workflow): the proxy is made per call.
  sendPermittedAttempt: (input) =>
    proxyActivities<Pick<DeliveryActivities, 'sendAttempt'>>({
      ...REGULAR,
      taskQueue: pacedTaskQueue(workflowInfo().taskQueue),
    }).sendAttempt(input),
  awaitAttempt: regular.awaitAttempt,
  sendFirstAttempt: local.sendFirstAttempt,
  recordDeliveryState: local.recordDeliveryState,
  readWebhookStatus: local.readWebhookStatus,
  askGate: local.askGate,
};
