/**
 * How anything outside the delivery workflow acts on a delivery: by a message to its workflow
 * (`delivery:<webhookId>:<eventId>`), starting a run from the record when none is running. Nobody else writes a
 * delivery's status: the API (redeliver, cancel, retry-now), the reconciler and recover all come through here.
 */
import {
  WithStartWorkflowOperation,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import { deliverySummary } from '../delivery/summary';
import type { DeliveryRecord } from '../store/model';
import type { DeliveryWorkflowInput, RedeliveryAnswer } from '../workflows/contracts';
import type { deliveryWorkflow } from '../workflows/delivery-workflow';
import { cancelSignal, erasePayloadSignal, recoverSignal, redeliverUpdate } from '../workflows/messages';
import { deliverySearchAttributes } from '../workflows/search-attribute-keys';

export interface DeliveryTarget {
  temporal: Client;
  taskQueue: string;
}

/** How a run started from a record looks in the Web UI. */
function startOptions(t: DeliveryTarget, d: DeliveryRecord, input: DeliveryWorkflowInput, summary: string) {
  return {
    taskQueue: t.taskQueue,
    workflowId: d.workflowId,
    args: [input] as [DeliveryWorkflowInput],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: deliverySearchAttributes(d, d.status, d.attemptCount),
    staticSummary: `${summary}: ${deliverySummary(d.event, input.target ?? 'endpoint')}`,
  };
}

/** Starts a run from the record unless one is running (then that run goes on). */
export async function resumeDelivery(t: DeliveryTarget, d: DeliveryRecord, input: DeliveryWorkflowInput) {
  await t.temporal.workflow.start<typeof deliveryWorkflow>('deliveryWorkflow', startOptions(t, d, input, 'restarted'));
}

/** A signal to the delivery's run, starting one from the record first when none is running. */
export async function signalDelivery(
  t: DeliveryTarget,
  d: DeliveryRecord,
  input: DeliveryWorkflowInput,
  message: { signal: 'recover' } | { signal: 'erasePayload' } | { signal: 'cancel'; reason: string },
): Promise<void> {
  const summary = { recover: 'recovered', erasePayload: 'payload erased', cancel: 'cancelled' }[message.signal];
  const options = startOptions(t, d, input, summary);
  if (message.signal !== 'cancel') {
    await t.temporal.workflow.signalWithStart<typeof deliveryWorkflow>('deliveryWorkflow', {
      ...options,
      signal: message.signal === 'recover' ? recoverSignal : erasePayloadSignal,
      signalArgs: [],
    });
  } else {
    await t.temporal.workflow.signalWithStart<typeof deliveryWorkflow, [reason?: string]>('deliveryWorkflow', {
      ...options,
      signal: cancelSignal,
      signalArgs: [message.reason],
    });
  }
}

/**
 * One manual attempt through the delivery's run (update-with-start): the run in progress takes it after the
 * attempt in flight; a delivery whose run has ended gets a run from its record that makes it. The update ID
 * is the request's (and the webhook's status version), so the same request made twice is one update while the
 * run lives; the run remembers its answers beyond that, and across runs the attempt's request ID in the store
 * answers it.
 */
export async function redeliverDelivery(
  t: DeliveryTarget,
  d: DeliveryRecord,
  input: DeliveryWorkflowInput,
  requestId: string,
  /** The webhook's status version: a request refused by a pause is a new update once the webhook is resumed. */
  statusVersion: number,
): Promise<RedeliveryAnswer> {
  return t.temporal.workflow.executeUpdateWithStart(redeliverUpdate, {
    args: [requestId],
    updateId: `redeliver:${requestId}:v${statusVersion}`,
    startWorkflowOperation: new WithStartWorkflowOperation<typeof deliveryWorkflow>(
      'deliveryWorkflow',
      startOptions(t, d, input, 'redelivery'),
    ),
  });
}
