/** Client side of the per-webhook control workflow (src/workflows/webhook-control-workflow.ts). */
import type { Client } from '@temporalio/client';
import { NotFoundError } from '../errors';
import type { Store } from '../store';
import { OPEN_DELIVERY_STATUSES, type WebhookRecord, type WebhookStatus } from '../store/model';
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

/** The engine's own status change (auto-disable): why, and the version it judged (else it changes nothing). */
export interface EngineStatusChange {
  disabledReason: NonNullable<WebhookRecord['disabledReason']>;
  atVersion: number;
}

/**
 * Stores the status with a new version, then hands that version to the webhook's control workflow, which
 * signals every running delivery (durably: past this call, retried until done). Setting the status the
 * webhook already has hands its current version out again, so a retried call repairs a lost hand-off.
 * Answers the version and how many deliveries were open when the change was handed over. The API's PATCH and
 * the worker's auto-disable both come through here.
 */
export async function setWebhookStatus(
  deps: { store: Store; temporal: Client; taskQueue: string },
  tenantId: string,
  webhookId: string,
  status: WebhookStatus,
  engine?: EngineStatusChange,
) {
  const webhook = await deps.store.webhooks.setStatus(tenantId, webhookId, status, new Date(), engine);
  if (!webhook) throw new NotFoundError('webhook');
  const statusVersion = webhook.statusVersion ?? 0;
  const handedTo = await deps.store.deliveries.countForWebhook(webhookId, OPEN_DELIVERY_STATUSES);
  await handOffWebhookStatus(deps.temporal, deps.taskQueue, webhook);
  return { webhook, statusVersion, handedTo };
}
