/**
 * What a delivery run asks of the outside world, as a narrow interface (the workflow never sees the worker's
 * activity factory), and the proxies that carry it out.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { AttemptFacts } from '../delivery/fate';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { RecordDeliveryStateInput, SendAttemptInput, SendAttemptResult, WebhookStatusChange } from './contracts';

export interface DeliveryActivities {
  /** One attempt as a regular activity: its facts once sent and recorded (or why nothing was sent). */
  sendAttempt: (input: SendAttemptInput) => Promise<AttemptFacts>;
  /** The first attempt as a local activity: its facts, or `sending` past its budget. */
  sendFirstAttempt: (input: SendAttemptInput) => Promise<SendAttemptResult>;
  /** The facts of an attempt another try claimed, once recorded (an open claim is waited out to its lease). */
  awaitAttempt: (input: SendAttemptInput) => Promise<AttemptFacts>;
  /** The delivery's record: the workflow is its only writer. */
  recordDeliveryState: (input: RecordDeliveryStateInput) => Promise<boolean>;
  /** The webhook's status and version now; null once it is deleted. */
  readWebhookStatus: (webhookId: string) => Promise<WebhookStatusChange | null>;
}

// The send is bounded at DELIVERY_TIMEOUT_MS (30 s by default); a regular attempt runs under a 10-second
// heartbeat, so a worker that stops anywhere in it is noticed in seconds. Infrastructure failures retry forever.
// Three minutes outlast the longest claim lease (DELIVERY_TIMEOUT_MS at most 120 s, plus the margin) that a
// try may wait out before it closes another's claim.
const regular = proxyActivities<Pick<DeliveryActivities, 'sendAttempt' | 'awaitAttempt'>>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: INFRASTRUCTURE_RETRY,
});
// Local: inside the workflow task, so a delivery that succeeds at once costs one workflow task
// (docs/performance.md). The first attempt answers within its budget; the state write is one store command.
const local = proxyLocalActivities<Omit<DeliveryActivities, 'sendAttempt' | 'awaitAttempt'>>({
  startToCloseTimeout: '30 seconds',
  retry: INFRASTRUCTURE_RETRY,
});

// Proxies have no own properties to spread: each activity is named.
export const deliveryActivities: DeliveryActivities = {
  sendAttempt: regular.sendAttempt,
  awaitAttempt: regular.awaitAttempt,
  sendFirstAttempt: local.sendFirstAttempt,
  recordDeliveryState: local.recordDeliveryState,
  readWebhookStatus: local.readWebhookStatus,
};
