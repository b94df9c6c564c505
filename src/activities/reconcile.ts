/**
 * The reconciler's activity: finds delivery records that say open while no workflow runs for them, and hands
 * each back to its workflow. Causes: a run terminated by hand, a crash between writing the record and starting
 * the run, a workflow that failed or timed out. It never writes a delivery's status: it starts a run from the
 * record (status, attempt count, place in the schedule, the webhook's status now), which goes on from there; a
 * run an operator cancelled, or one whose webhook is gone, is started with the cancel it missed.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DeliveryRecord } from '../store/model';
import type { ReconcileInput, Repair } from '../workflows/contracts';
import { handOffWebhookStatus } from '../client/webhook-control';
import { resumeDelivery, signalDelivery, type DeliveryTarget } from '../client/delivery-messages';
import { continuedDeliveryInput, orphanedDeliveryInput } from './delivery-input';
import type { ActivityDeps } from './deps';

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
    const closed = await runStatus(temporal, d.workflowId);
    if (closed === 'RUNNING') return undefined;
    const target: DeliveryTarget = { temporal, taskQueue };
    const webhook = await deps.store.webhooks.findById(d.webhookId);
    if (!webhook) {
      await signalDelivery(target, d, orphanedDeliveryInput(d, now()), {
        signal: 'cancel',
        reason: 'webhook was deleted',
      });
      return { deliveryId: d._id, action: 'cancelled', reason: 'its webhook was deleted' };
    }
    const input = continuedDeliveryInput(d, webhook, deps, now());
    if (closed === 'CANCELLED') {
      await signalDelivery(target, d, input, { signal: 'cancel', reason: 'cancelled by an operator' });
      return { deliveryId: d._id, action: 'cancelled', reason: 'its run was cancelled' };
    }
    await resumeDelivery(target, d, input);
    const reason = closed === 'NOT_FOUND' ? 'no run was ever started' : `its run was ${closed.toLowerCase()}`;
    return { deliveryId: d._id, action: 'restarted', reason };
  }

  async function runStatus(temporal: Client, workflowId: string): Promise<string> {
    try {
      return (await temporal.workflow.getHandle(workflowId).describe()).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
      throw err;
    }
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
