/**
 * The engine's client side, used by the API and the tests: publish platform events, pause and resume a
 * webhook's deliveries, redeliver. Everything goes through Temporal so nothing accepted can be lost.
 */
import crypto from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { Store } from '../store';
import type { DeliveryRecord, WebhookRecord, WebhookStatus } from '../store/model';
import type { AttemptResult, DeliveryWorkflowInput } from '../workflows/contracts';
import type { deliveryWorkflow, platformEventWorkflow } from '../workflows';
import { eventWorkflowId } from '../workflows/ids';
import { pauseSignal, redeliverUpdate, resumeSignal, retryNowSignal } from '../workflows/messages';
import {
  AttemptCountKey,
  DeliveryStatusKey,
  EventTypeKey,
  TenantIdKey,
  WebhookIdKey,
} from '../workflows/search-attribute-keys';
import { publishEventSchema, type PublishEventInput } from './schemas';
import { DocfloError } from '../errors';

export class NotFoundError extends DocfloError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export interface EngineClientDeps {
  temporal: Client;
  taskQueue: string;
  store: Store;
  defaultRetrySchedule: number[];
}

export interface PublishedEvent {
  eventId: string;
  workflowId: string;
  runId: string;
}

const SIGNAL_CONCURRENCY = 25;

export function createEngineClient(deps: EngineClientDeps) {
  async function publishEvent(raw: PublishEventInput): Promise<PublishedEvent> {
    const input = publishEventSchema.parse(raw);
    const eventId = input.eventId ?? `evt_${crypto.randomUUID()}`;
    const workflowId = eventWorkflowId(input.tenantId, eventId);
    try {
      const handle = await deps.temporal.workflow.start<typeof platformEventWorkflow>('platformEventWorkflow', {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [
          {
            tenantId: input.tenantId,
            eventId,
            event: input.event,
            documentId: input.documentId,
            occurredAt: new Date(input.occurredAt ?? Date.now()).toISOString(),
          },
        ],
        // The same event ID twice is one event: running → the running one; finished → rejected, then looked up.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: [
          { key: TenantIdKey, value: input.tenantId },
          { key: EventTypeKey, value: input.event },
        ],
      });
      return { eventId, workflowId, runId: handle.firstExecutionRunId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const description = await deps.temporal.workflow.getHandle(workflowId).describe();
      return { eventId, workflowId, runId: description.runId };
    }
  }

  /** Stores the status, then pauses or resumes every delivery a workflow may still be working on. */
  async function setWebhookStatus(tenantId: string, webhookId: string, status: WebhookStatus) {
    const webhook = await deps.store.webhooks.setStatus(tenantId, webhookId, status, new Date());
    if (!webhook) throw new NotFoundError('webhook');
    const open = await deps.store.deliveries.listOpenForWebhook(webhookId);
    let signalled = 0;
    for (let i = 0; i < open.length; i += SIGNAL_CONCURRENCY) {
      const results = await Promise.all(
        open
          .slice(i, i + SIGNAL_CONCURRENCY)
          .map((d) => signalIfRunning(d.workflowId, status === 'active' ? 'resume' : 'pause')),
      );
      signalled += results.filter(Boolean).length;
    }
    return { webhook, signalled };
  }

  async function signalIfRunning(workflowId: string, signal: 'pause' | 'resume' | 'retryNow'): Promise<boolean> {
    const definition = { pause: pauseSignal, resume: resumeSignal, retryNow: retryNowSignal }[signal];
    try {
      await deps.temporal.workflow.getHandle(workflowId).signal(definition);
      return true;
    } catch (err) {
      // Finished, or not started yet: its first attempt reads the webhook's status itself.
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  async function loadDelivery(tenantId: string, deliveryId: string): Promise<[DeliveryRecord, WebhookRecord]> {
    const delivery = await deps.store.deliveries.findForTenant(tenantId, deliveryId);
    if (!delivery) throw new NotFoundError('delivery');
    const webhook = await deps.store.webhooks.findForTenant(tenantId, delivery.webhookId);
    if (!webhook) throw new NotFoundError('webhook');
    return [delivery, webhook];
  }

  /**
   * One manual attempt now, and its outcome. A delivery still running gets it through its own workflow (so
   * attempts never overlap); a finished one gets a new run of the same workflow ID that makes one attempt.
   */
  async function redeliver(tenantId: string, deliveryId: string): Promise<AttemptResult> {
    const [delivery, webhook] = await loadDelivery(tenantId, deliveryId);
    const handle = deps.temporal.workflow.getHandle(delivery.workflowId);
    if (await isRunning(delivery.workflowId)) {
      try {
        return await handle.executeUpdate(redeliverUpdate);
      } catch (err) {
        // It finished between our look and the update: fall through to a manual run.
        if (await isRunning(delivery.workflowId)) throw err;
      }
    }
    const current = (await deps.store.deliveries.findById(delivery._id)) ?? delivery;
    const input: DeliveryWorkflowInput = {
      deliveryId: delivery._id,
      tenantId: delivery.tenantId,
      webhookId: delivery.webhookId,
      eventId: delivery.eventId,
      event: delivery.event,
      retrySchedule: webhook.retrySchedule ?? deps.defaultRetrySchedule,
      attemptsSoFar: current.attemptCount,
      mode: 'manual',
      finishedStatus: current.status,
    };
    const run = await deps.temporal.workflow.start<typeof deliveryWorkflow>('deliveryWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId: delivery.workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: TenantIdKey, value: delivery.tenantId },
        { key: WebhookIdKey, value: delivery.webhookId },
        { key: EventTypeKey, value: delivery.event },
        { key: DeliveryStatusKey, value: current.status },
        { key: AttemptCountKey, value: current.attemptCount },
      ],
    });
    const result = await run.result();
    if (!result.lastResult) throw new Error(`manual run of ${delivery.workflowId} made no attempt`);
    return result.lastResult;
  }

  async function retryNow(tenantId: string, deliveryId: string): Promise<boolean> {
    const [delivery] = await loadDelivery(tenantId, deliveryId);
    return signalIfRunning(delivery.workflowId, 'retryNow');
  }

  async function isRunning(workflowId: string): Promise<boolean> {
    try {
      const description = await deps.temporal.workflow.getHandle(workflowId).describe();
      return description.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  return { publishEvent, setWebhookStatus, redeliver, retryNow };
}

export type EngineClient = ReturnType<typeof createEngineClient>;
