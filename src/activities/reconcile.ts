/**
 * The reconciler's activity: finds delivery records that say open while no workflow runs for them, and
 * repairs each. Causes: a run terminated by hand, a crash between writing the record and starting the run, a
 * `pending` left by a retried dispatch, a recover that lost the start race, a final write that never landed.
 * A run that completed gives its own final status; one cancelled is recorded `cancelled`; any other (never
 * started, terminated, failed, timed out) is started again under the same ID, numbering on from its attempts.
 */
import { Context } from '@temporalio/activity';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { DeliveryRecord, DeliveryStatus } from '../store/model';
import type { DeliveryWorkflowResult, Repair } from '../workflows/contracts';
import { deliverySearchAttributes } from '../workflows/search-attribute-keys';
import { handOffWebhookStatus } from '../client/webhook-control';
import { deliverySummary } from '../delivery/summary';
import { continuedDeliveryInput } from './delivery-input';
import type { ActivityDeps } from './deps';

export interface ReconcileInput {
  /** Only records unchanged for this long: a fresh `pending` may simply not have started yet. */
  olderThanSeconds: number;
  afterId?: string;
  limit: number;
}

export function createReconcileActivities(deps: ActivityDeps & { taskQueue?: string }) {
  const log = deps.logger.child({ module: 'reconciler' });
  const now = (): Date => deps.now?.() ?? new Date();

  async function reconcilePage(input: ReconcileInput): Promise<{ repairs: Repair[]; nextAfterId?: string }> {
    const temporal = deps.temporal;
    if (!temporal || !deps.taskQueue) throw new Error('reconcilePage needs a Temporal client and the task queue');
    const before = new Date(now().getTime() - input.olderThanSeconds * 1000);
    const page = await deps.store.deliveries.pageOpenUnchangedSince(before, input.afterId, input.limit);
    const repairs: Repair[] = [];
    for (const delivery of page) {
      Context.current().heartbeat(delivery._id);
      const repair = await reconcileOne(temporal, deps.taskQueue, delivery);
      if (repair) {
        log.warn({ ...repair }, 'reconciler repaired a delivery');
        repairs.push(repair);
      }
    }
    return { repairs, nextAfterId: page.length === input.limit ? page[page.length - 1]?._id : undefined };
  }

  async function reconcileOne(temporal: Client, taskQueue: string, d: DeliveryRecord): Promise<Repair | undefined> {
    const handle = temporal.workflow.getHandle(d.workflowId);
    let closed: string;
    try {
      const description = await handle.describe();
      closed = description.status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      closed = 'NOT_FOUND';
    }
    if (closed === 'RUNNING') return undefined;
    if (closed === 'COMPLETED') {
      const result = (await handle.result()) as DeliveryWorkflowResult;
      await record(d, result.status);
      return {
        deliveryId: d._id,
        action: 'recorded',
        status: result.status,
        reason: 'its run completed but the record said open',
      };
    }
    if (closed === 'CANCELLED') {
      await record(d, 'cancelled');
      return { deliveryId: d._id, action: 'recorded', status: 'cancelled', reason: 'its run was cancelled' };
    }
    const webhook = await deps.store.webhooks.findById(d.webhookId);
    if (!webhook) {
      await record(d, 'failed', 'webhook was deleted');
      return { deliveryId: d._id, action: 'recorded', status: 'failed', reason: 'its webhook was deleted' };
    }
    const input = continuedDeliveryInput(d, webhook, deps);
    try {
      await temporal.workflow.start('deliveryWorkflow', {
        taskQueue,
        workflowId: d.workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: deliverySearchAttributes(d, d.status, d.attemptCount),
        staticSummary: deliverySummary(d.event, input.target ?? 'endpoint'),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const reason = closed === 'NOT_FOUND' ? 'no run was ever started' : `its run was ${closed.toLowerCase()}`;
    return { deliveryId: d._id, action: 'restarted', reason };
  }

  async function record(d: DeliveryRecord, status: DeliveryStatus, lastError?: string): Promise<void> {
    await deps.store.deliveries.recordState(d._id, d.attemptCount, { status, lastError, nextAttemptAt: null }, now());
  }

  /**
   * Webhook status changes stored but never fully handed out (the API died between the two, or the hand-off
   * failed): hands each to its control workflow again, which pauses or resumes the running deliveries.
   */
  async function rehandWebhookStatuses(input: { olderThanSeconds: number; limit: number }): Promise<string[]> {
    const temporal = deps.temporal;
    if (!temporal || !deps.taskQueue)
      throw new Error('rehandWebhookStatuses needs a Temporal client and the task queue');
    const before = new Date(now().getTime() - input.olderThanSeconds * 1000);
    const pending = await deps.store.webhooks.listHandOffPending(before, input.limit);
    for (const webhook of pending) {
      await handOffWebhookStatus(temporal, deps.taskQueue, webhook);
      log.warn(
        { webhookId: webhook._id, statusVersion: webhook.statusVersion },
        'reconciler re-handed a webhook status',
      );
    }
    return pending.map((w) => w._id);
  }

  return { reconcilePage, rehandWebhookStatuses };
}
