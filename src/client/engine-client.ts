/**
 * The engine's client side, used by the API and the tests: publish platform events, pause and resume a
 * webhook's deliveries, redeliver. Everything goes through Temporal so nothing accepted can be lost.
 */
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Store } from '../store';
import {
  flowSettingsOf,
  isOperationalEvent,
  type DeliveryRecord,
  type WebhookRecord,
  type WebhookStatus,
} from '../store/model';
import { setWebhookStatus as setWebhookStatusOf, type EngineStatusChange } from './webhook-control';
import type { RedeliveryAnswer } from '../workflows/contracts';
import type { deliveryWorkflow, recoverWebhookWorkflow } from '../workflows';
import { buildPayload, serializePayload } from '../delivery/payload';
import { answerOfRecord } from '../delivery/outcome';
import { deliverySummary, endpointTarget } from '../delivery/summary';
import { continuedDeliveryInput, freshDeliveryInput, type DeliveryInputDeps } from '../activities/delivery-input';
import { redeliverDelivery } from './delivery-messages';
import { sampleDocument } from '../events/sample-document';
import { sampleOperationalBody } from '../operations/operational-events';
import { answerOf } from '../delivery/fate';
import { deliveryIdFor, testEventId } from '../ids';
import { eventKey } from '../store/event-repository';
import { deliveryWorkflowId, gateWorkflowId } from '../workflows/ids';
import { gateSettingsSignal } from '../workflows/gate-messages';
import { NO_FLOW } from '../delivery/gate';
import { cancelSignal, retryNowSignal } from '../workflows/messages';
import { deliverySearchAttributes, TenantIdKey, WebhookIdKey } from '../workflows/search-attribute-keys';
import { createEventPublisher, type PublishedEvent } from '../events/publish-event';
import { publishEventSchema, type PublishEventInput } from './schemas';
import { ConflictStateError, NotFoundError } from '../errors';
import { createPayloadEraser } from './payload-erasure';
import { createTenantEraser } from './tenant-erasure';

export interface EngineClientDeps {
  temporal: Client;
  taskQueue: string;
  store: Store;
  /** What a delivery workflow's input takes from the configuration (schedule, retry policy, pause re-check). */
  deliveryDefaults: DeliveryInputDeps;
  /** Bound on starting an event's workflow while the platform waits (then 503). */
  publishTimeoutMs?: number;
  /** How long erasing an event's payload waits for its open deliveries to end (default 60 s). */
  erasureWaitMs?: number;
  /** DELIVERY_TIMEOUT_MS: how long a tenant's erasure waits for an attempt in flight (plus a margin). */
  deliveryTimeoutMs?: number;
  /** The pace of a tenant erasure's deletes (PURGE_BATCH, PURGE_PAUSE_MS). */
  erasurePace?: { batch: number; pauseMs: number };
}

const PAYLOAD_ERASED = "the event's payload was erased: there is nothing to send";

const SIGNAL_CONCURRENCY = 25;

export function createEngineClient(deps: EngineClientDeps) {
  const publisher = createEventPublisher({
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    store: deps.store,
    startTimeoutMs: deps.publishTimeoutMs ?? 10_000,
  });
  const { erasePayload } = createPayloadEraser({ ...deps, waitMs: deps.erasureWaitMs });
  const { eraseTenant } = createTenantEraser({
    ...deps,
    deliveryTimeoutMs: deps.deliveryTimeoutMs ?? 30_000,
    pace: deps.erasurePace ?? { batch: 200, pauseMs: 1_000 },
  });

  /** Validates, then accepts the event exactly once (see createEventPublisher). */
  async function publishEvent(raw: PublishEventInput): Promise<PublishedEvent> {
    return publisher.publish(publishEventSchema.parse(raw));
  }

  /** PATCH status: stored with a new version and handed to the running deliveries (see webhook-control). */
  function setWebhookStatus(tenantId: string, webhookId: string, status: WebhookStatus, engine?: EngineStatusChange) {
    return setWebhookStatusOf(deps, tenantId, webhookId, status, engine);
  }

  /** New flow settings, to the webhook's gate if one runs: deliveries already waiting go by them at once. */
  async function flowSettingsChanged(webhook: WebhookRecord): Promise<void> {
    const settings = flowSettingsOf(webhook) ?? NO_FLOW;
    try {
      await deps.temporal.workflow
        .getHandle(gateWorkflowId(webhook._id))
        .signal(gateSettingsSignal, { settings, version: webhook.updatedAt.getTime() });
    } catch (err) {
      // No gate runs: nothing waits, and the next ask carries the settings as stored.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** Signals every delivery of the webhook a workflow may still be working on; returns how many were running. */
  async function signalOpenDeliveries(webhookId: string, signal: 'cancel'): Promise<number> {
    const open = await deps.store.deliveries.listOpenForWebhook(webhookId);
    let signalled = 0;
    for (let i = 0; i < open.length; i += SIGNAL_CONCURRENCY) {
      const batch = open.slice(i, i + SIGNAL_CONCURRENCY);
      const results = await Promise.all(batch.map((d) => signalIfRunning(d.workflowId, signal)));
      signalled += results.filter(Boolean).length;
    }
    return signalled;
  }

  /** Deletes the webhook and stops its running deliveries; their records stay. */
  async function deleteWebhook(tenantId: string, webhookId: string): Promise<{ cancelled: number }> {
    if (!(await deps.store.webhooks.delete(tenantId, webhookId))) throw new NotFoundError('webhook');
    await deps.store.endpointStates.delete(webhookId);
    return { cancelled: await signalOpenDeliveries(webhookId, 'cancel') };
  }

  /**
   * Sends a sample payload of the webhook's event (a synthetic document) through the real delivery path: a
   * stored event, a delivery record and one attempt of deliveryWorkflow. Returns the delivery ID and outcome.
   */
  async function sendTestEvent(tenantId: string, webhookId: string) {
    const webhook = await deps.store.webhooks.findForTenant(tenantId, webhookId);
    if (!webhook) throw new NotFoundError('webhook');
    const now = new Date();
    const eventId = testEventId();
    const key = eventKey(tenantId, eventId);
    const body = isOperationalEvent(webhook.event)
      ? JSON.stringify(sampleOperationalBody(webhook.event, { ...webhook, _id: `wh_sample`, url: webhook.url }, now))
      : serializePayload(
          buildPayload({
            event: webhook.event,
            tenantId,
            occurredAt: now,
            document: sampleDocument(eventId, tenantId, webhook.event, now),
          }),
        );
    await deps.store.events.insert({
      _id: key,
      tenantId,
      eventId,
      event: webhook.event,
      documentId: eventId,
      occurredAt: now,
      status: 'dispatched',
      body,
      deliveriesStarted: 1,
      deliveriesSkipped: 0,
      createdAt: now,
      updatedAt: now,
    });
    const deliveryId = deliveryIdFor(webhook._id, key);
    const workflowId = deliveryWorkflowId(webhook._id, eventId);
    await deps.store.deliveries.ensure({
      _id: deliveryId,
      tenantId,
      webhookId: webhook._id,
      eventKey: key,
      eventId,
      event: webhook.event,
      // The sample document's ID, as its event record and the payload have it.
      documentId: eventId,
      workflowId,
      status: 'pending',
      attemptCount: 0,
      createdAt: now,
      updatedAt: now,
    });
    const input = freshDeliveryInput(
      { deliveryId, tenantId, webhookId: webhook._id, eventId, event: webhook.event },
      webhook,
      deps.deliveryDefaults,
    );
    const run = await deps.temporal.workflow.start<typeof deliveryWorkflow>('deliveryWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ ...input, retrySchedule: [], test: true }],
      typedSearchAttributes: deliverySearchAttributes(
        { tenantId, webhookId: webhook._id, event: webhook.event },
        'pending',
        0,
      ),
      staticSummary: `test event: ${deliverySummary(webhook.event, endpointTarget(webhook.url))}`,
    });
    const { last } = await run.result();
    return { deliveryId, result: last ? answerOf(last) : undefined };
  }

  /** Queues the webhook's failed and skipped deliveries of a window for re-sending; answers how many. */
  async function recoverWebhook(
    tenantId: string,
    webhookId: string,
    since: Date,
    until: Date,
    options: { dryRun?: boolean } = {},
  ) {
    const webhook = await deps.store.webhooks.findForTenant(tenantId, webhookId);
    if (!webhook) throw new NotFoundError('webhook');
    if (webhook.status !== 'active')
      throw new ConflictStateError('the webhook is inactive: activate it before recovering');
    const queued = await deps.store.deliveries.countRecoverable(webhookId, since, until);
    if (queued === 0 || options.dryRun) return { queued, workflowId: null };
    const workflowId = `recover:${webhookId}:${since.toISOString()}:${until.toISOString()}`;
    await deps.temporal.workflow.start<typeof recoverWebhookWorkflow>('recoverWebhookWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ tenantId, webhookId, since: since.toISOString(), until: until.toISOString() }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: TenantIdKey, value: tenantId },
        { key: WebhookIdKey, value: webhookId },
      ],
    });
    return { queued, workflowId };
  }

  async function signalIfRunning(workflowId: string, signal: 'retryNow' | 'cancel'): Promise<boolean> {
    const definition = { retryNow: retryNowSignal, cancel: cancelSignal }[signal];
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
   * One manual attempt, made by the delivery's own workflow (update-with-start: the run in progress, or a run
   * from the record when it has ended), which checks the webhook's status when it is about to send.
   * `idempotencyKey` (the Idempotency-Key header) makes a retried request one attempt and one answer for the
   * delivery's life (`in_progress` while that attempt is being sent); without one, a retry is still one
   * attempt while no other attempt has been made since.
   */
  async function redeliver(tenantId: string, deliveryId: string, idempotencyKey?: string): Promise<RedeliveryAnswer> {
    const [delivery, webhook] = await loadDelivery(tenantId, deliveryId);
    if ((await deps.store.events.findByKey(delivery.eventKey))?.payloadErasedAt) {
      throw new ConflictStateError(PAYLOAD_ERASED, 'payload_erased');
    }
    if (webhook.status !== 'active') throw new ConflictStateError('the webhook is inactive: activate it to redeliver');
    // Without a key, the status version is part of the request: one refused by a pause is not the answer
    // Temporal repeats for the same request after a resume.
    const requestId = idempotencyKey
      ? `key:${idempotencyKey}`
      : `after:${delivery.attemptCount}:v${webhook.statusVersion ?? 0}`;
    const answered = await deps.store.deliveries.findAttemptForRequest(delivery._id, requestId);
    // Touched before the attempt: the purge re-checks a record's age when it deletes, so it never removes a
    // delivery that is being redelivered (the state write after the attempt touches it again).
    if (!answered) await deps.store.deliveries.touch(delivery._id, new Date());
    const answer = answered
      ? answerOfRecord(answered)
      : await redeliverDelivery(
          { temporal: deps.temporal, taskQueue: deps.taskQueue },
          delivery,
          continuedDeliveryInput(delivery, webhook, deps.deliveryDefaults, new Date()),
          requestId,
          webhook.statusVersion ?? 0,
        );
    // Paused (or deleted) after the check above but before the attempt started: it sent nothing.
    if (answer.kind === 'webhook_inactive') {
      throw new ConflictStateError('the webhook was paused before the attempt started: nothing was sent');
    }
    if (answer.kind === 'webhook_deleted') throw new NotFoundError('webhook');
    if (answer.kind === 'payload_erased') throw new ConflictStateError(PAYLOAD_ERASED, 'payload_erased');
    return answer;
  }

  async function retryNow(tenantId: string, deliveryId: string): Promise<boolean> {
    const [delivery] = await loadDelivery(tenantId, deliveryId);
    return signalIfRunning(delivery.workflowId, 'retryNow');
  }

  /**
   * What a delivery's run shows as its current details, the Web UI's text (`retrying: HTTP 503 from host,
   * attempt 2 of 8, next at 14:05Z`); null when no run answers within a second (a worker is needed to answer).
   */
  async function currentDetails(workflowId: string): Promise<string | null> {
    try {
      const metadata = await deps.temporal.connection.withDeadline(Date.now() + 1_000, () =>
        deps.temporal.workflow
          .getHandle(workflowId)
          .query<{ currentDetails?: string | null }>('__temporal_workflow_metadata'),
      );
      return metadata.currentDetails || null;
    } catch {
      return null;
    }
  }

  return {
    publishEvent,
    currentDetails,
    setWebhookStatus,
    flowSettingsChanged,
    deleteWebhook,
    sendTestEvent,
    recoverWebhook,
    redeliver,
    retryNow,
    erasePayload,
    eraseTenant,
  };
}

export type EngineClient = ReturnType<typeof createEngineClient>;
