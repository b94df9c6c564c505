/**
 * deliveryWorkflow: one event to one webhook, for as long as the delivery lives. It is the only owner of the
 * delivery's fate: the pure state machine (src/delivery/fate.ts) decides, DeliveryRun carries it out, and
 * everyone else (the API, the reconciler, recover, a webhook's status change) asks by a message on
 * `delivery:<webhookId>:<eventId>` or starts it from what the record says. Attempts report facts. A paused
 * delivery re-reads its webhook on a growing timer; the run continues as new before its history grows past
 * its limit. Cancelled from the Web UI or CLI, it lets the attempt in flight finish and records `cancelled`
 * unless that attempt delivered.
 */
import { setHandler } from '@temporalio/workflow';
import type { DeliveryWorkflowInput, DeliveryWorkflowResult } from './contracts';
import { deliveryActivities } from './delivery-activities';
import { DeliveryRun } from './delivery-run';
import { permitSignal } from './gate-messages';
import {
  cancelSignal,
  deliveryStateQuery,
  erasePayloadSignal,
  recoverSignal,
  redeliverUpdate,
  retryNowSignal,
  webhookStatusSignal,
} from './messages';

export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryWorkflowResult> {
  const run = new DeliveryRun(input, deliveryActivities);
  run.listen({
    onStatus: (fn) => setHandler(webhookStatusSignal, fn),
    onCancel: (fn) => setHandler(cancelSignal, fn),
    onRetryNow: (fn) => setHandler(retryNowSignal, fn),
    onRecover: (fn) => setHandler(recoverSignal, fn),
    onErase: (fn) => setHandler(erasePayloadSignal, fn),
    onRedeliver: (fn) => setHandler(redeliverUpdate, fn),
    onQuery: (fn) => setHandler(deliveryStateQuery, fn),
    onPermit: (fn) => setHandler(permitSignal, fn),
  });
  return run.drive();
}
