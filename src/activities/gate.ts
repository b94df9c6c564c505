/**
 * The activities of flow control: a delivery's ask to its webhook's gate (signal-with-start, with the flow
 * settings as stored now), and the store's word on an ordered delivery's predecessors.
 */
import { flowSettingsOf } from '../store/model';
import type { AskGateInput, CheckPredecessorsInput } from '../workflows/contracts';
import type { PredecessorCheck } from '../delivery/gate';
import { publishedBefore } from '../store/listing';
import type { endpointGateWorkflow } from '../workflows/endpoint-gate-workflow';
import { gateAskSignal, type GateAskMessage } from '../workflows/gate-messages';
import { gateWorkflowId } from '../workflows/ids';
import { TenantIdKey, WebhookIdKey } from '../workflows/search-attribute-keys';
import type { ActivityDeps } from './deps';

export function createGateActivities(deps: ActivityDeps) {
  async function askGate(input: AskGateInput): Promise<{ ungated: boolean }> {
    const webhook = await deps.store.webhooks.findById(input.webhookId);
    const settings = webhook ? flowSettingsOf(webhook) : undefined;
    // No settings (any more), or no webhook (the attempt will find it gone): the attempt goes without a permit.
    if (!webhook || !settings) return { ungated: true };
    if (!deps.temporal || !deps.taskQueue) throw new Error('askGate needs a Temporal client and task queue');
    const { delivery, documentId, order, late } = input;
    await deps.temporal.workflow.signalWithStart<typeof endpointGateWorkflow, [GateAskMessage]>(
      'endpointGateWorkflow',
      {
        workflowId: gateWorkflowId(input.webhookId),
        taskQueue: deps.taskQueue,
        args: [{ webhookId: input.webhookId, tenantId: input.tenantId }],
        signal: gateAskSignal,
        signalArgs: [
          {
            ask: { delivery, documentId, order, askedAt: Date.now() },
            settings,
            version: webhook.updatedAt.getTime(),
            ...(late === undefined ? {} : { late }),
          },
        ],
        typedSearchAttributes: [
          { key: TenantIdKey, value: input.tenantId },
          { key: WebhookIdKey, value: input.webhookId },
        ],
      },
    );
    return { ungated: false };
  }

  /**
   * One read of the tenant's undispatched events and one of the webhook's open deliveries for the whole batch.
   * Events first: an event dispatched after the deliveries were read would leave its delivery unseen.
   */
  async function checkOrderPredecessors(
    input: CheckPredecessorsInput,
  ): Promise<{ delivery: string; check: PredecessorCheck }[]> {
    const events = await deps.store.events.listUndispatched(input.tenantId);
    const open = await deps.store.deliveries.listOpenInPublishOrder(input.webhookId);
    return input.asks.map((ask) => {
      const before: [Date, string] = [new Date(ask.order[0]), ask.order[1]];
      const sameKey = (documentId: string | undefined) => !ask.documentId || documentId === ask.documentId;
      return {
        delivery: ask.delivery,
        check: {
          undispatched: events.some((e) => sameKey(e.documentId) && publishedBefore(e.createdAt, e.eventId, before)),
          open: open
            .filter((d) => d.workflowId !== ask.delivery && sameKey(d.documentId))
            .filter((d) => publishedBefore(d.eventAcceptedAt ?? d.createdAt, d.eventId, before))
            .map((d) => d.workflowId),
        },
      };
    });
  }

  return { askGate, checkOrderPredecessors };
}
