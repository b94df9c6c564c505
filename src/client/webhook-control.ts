/** Client side of the per-webhook control workflow (src/workflows/webhook-control-workflow.ts). */
import type { Client } from '@temporalio/client';
import type { WebhookRecord } from '../store/model';
import { webhookControlWorkflow, webhookStatusChangedSignal } from '../workflows/webhook-control-workflow';
import { TenantIdKey, WebhookIdKey } from '../workflows/search-attribute-keys';

/**
 * Starts (or signals) the webhook's control workflow with its current status version. Client-side: used by the
 * API after storing a change and by the reconciler for a change whose hand-off never completed.
 */
export async function handOffWebhookStatus(
  temporal: Client,
  taskQueue: string,
  webhook: Pick<WebhookRecord, '_id' | 'tenantId' | 'status' | 'statusVersion'>,
): Promise<void> {
  await temporal.workflow.signalWithStart(webhookControlWorkflow, {
    taskQueue,
    workflowId: `webhook-control:${webhook._id}`,
    args: [{ webhookId: webhook._id }],
    signal: webhookStatusChangedSignal,
    signalArgs: [{ status: webhook.status, version: webhook.statusVersion ?? 0 }],
    typedSearchAttributes: [
      { key: TenantIdKey, value: webhook.tenantId },
      { key: WebhookIdKey, value: webhook._id },
    ],
  });
}
