/**
 * The activities behind delivery control: the delivery workflow's record of its own state (it is the record's
 * only writer), the webhook status
 * a paused delivery re-reads, and the fan-out of a webhook's status change to its running deliveries.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FanOutInput, RecordDeliveryStateInput, WebhookStatusChange } from '../workflows/contracts';
import { webhookStatusSignal } from '../workflows/messages';
import type { ActivityDeps } from './deps';

/** Signals in flight at once during a fan-out. */
const FAN_OUT_CONCURRENCY = 25;

export function createControlActivities(deps: ActivityDeps) {
  const now = (): Date => deps.now?.() ?? new Date();

  async function recordDeliveryState(input: RecordDeliveryStateInput): Promise<boolean> {
    const { matched, statusChanged } = await deps.store.deliveries.recordStateChange(
      input.deliveryId,
      input.attempt,
      {
        status: input.status,
        attemptCount: input.attempt,
        scheduleStep: input.scheduleStep,
        lastAttemptAt: input.lastAttemptAt ? new Date(input.lastAttemptAt) : undefined,
        lastStatusCode: input.lastStatusCode,
        lastError: input.lastError,
        nextAttemptAt: input.nextAttemptAt
          ? new Date(input.nextAttemptAt)
          : input.nextAttemptAt === null
            ? null
            : undefined,
      },
      now(),
      input.previousStatus,
    );
    // Metrics and the auto-disable streak, only when this write changed the status (not on a retried write).
    if (statusChanged) {
      await deps.outcomes?.stateRecorded(input, {
        _id: input.deliveryId,
        webhookId: input.webhookId,
        event: input.event,
        eventKey: input.eventKey,
        eventAcceptedAt: input.eventAcceptedAt ? new Date(input.eventAcceptedAt) : undefined,
        status: input.previousStatus ?? 'pending',
      });
    }
    return matched;
  }

  /** The webhook's current status and version; null once it is deleted. */
  async function readWebhookStatus(webhookId: string): Promise<WebhookStatusChange | null> {
    const webhook = await deps.store.webhooks.findById(webhookId);
    return webhook ? { status: webhook.status, version: webhook.statusVersion ?? 0 } : null;
  }

  /**
   * Hands a status version to every delivery of the webhook a workflow may be working on. Returns how many
   * were running.
   */
  async function fanOutWebhookStatus(input: FanOutInput): Promise<number> {
    if (!deps.temporal) throw new Error('fanOutWebhookStatus needs a Temporal client');
    const temporal = deps.temporal;
    const open = await deps.store.deliveries.listOpenForWebhook(input.webhookId);
    const change: WebhookStatusChange = { status: input.status, version: input.version };
    let running = 0;
    for (let i = 0; i < open.length; i += FAN_OUT_CONCURRENCY) {
      heartbeat(i);
      const batch = open.slice(i, i + FAN_OUT_CONCURRENCY);
      const results = await Promise.all(
        batch.map(async (d) => {
          const handle = temporal.workflow.getHandle(d.workflowId);
          try {
            await handle.signal(webhookStatusSignal, change);
            return true;
          } catch (err) {
            // Finished, or not started yet: its first attempt reads the webhook's status itself.
            if (err instanceof WorkflowNotFoundError) return false;
            throw err;
          }
        }),
      );
      running += results.filter(Boolean).length;
    }
    await deps.store.webhooks.markHandedOut(input.webhookId, input.version);
    return running;
  }

  return { recordDeliveryState, readWebhookStatus, fanOutWebhookStatus };
}

function heartbeat(progress: number): void {
  try {
    Context.current().heartbeat(progress);
  } catch {
    // outside an activity (unit tests)
  }
}
