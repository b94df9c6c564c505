/**
 * The engine's own events about a tenant's webhooks, `webhook.failing` and `webhook.disabled`. They take the
 * platform events' path from the store on: the body is built here, once, and stored with the event record
 * (as POST /v1/events stores a document event's body), then the same event workflow dispatches it to the
 * tenant's webhooks subscribed to that type, and the same delivery workflow signs and sends it (same headers,
 * same X-Docflo-Signature, same retries). Nothing here reads a document: `documentId` of an operational event
 * record names the webhook it is about.
 *
 * Event IDs are deterministic (type, webhook, streak start, threshold), so publishing the same warning twice
 * (a retried activity) is one event.
 */
import type { Client } from '@temporalio/client';
import { startEventWorkflow } from '../events/publish-event';
import type { Store } from '../store';
import { eventKey } from '../store/event-repository';
import type { OperationalEvent, WebhookRecord } from '../store/model';

export interface OperationalEventBody {
  event: OperationalEvent;
  tenantId: string;
  timestamp: string;
  webhook: { id: string; url: string; event: string };
  lastError: string;
  failingSince: string;
  /** Failed deliveries in a row so far. */
  failedDeliveries: number;
  /** webhook.failing: which warning this is, in percent of the window (50, then 90). */
  thresholdPercent?: number;
  /** webhook.failing: when the webhook will be set inactive if nothing succeeds (and enough deliveries fail). */
  disableAt?: string;
  /** webhook.disabled: when it was set inactive, and why. */
  disabledAt?: string;
  disabledReason?: string;
}

export interface OperationalEventInput {
  type: OperationalEvent;
  webhook: Pick<WebhookRecord, '_id' | 'tenantId' | 'url' | 'event'>;
  lastError: string;
  failingSince: Date;
  failedDeliveries: number;
  at: Date;
  disableAt?: Date;
  thresholdPercent?: number;
  disabledReason?: string;
  /** Distinguishes the events of one streak: the warning's threshold (50, 90), or "disabled". */
  discriminator: string;
}

export function buildOperationalBody(input: OperationalEventInput): OperationalEventBody {
  const body: OperationalEventBody = {
    event: input.type,
    tenantId: input.webhook.tenantId,
    timestamp: input.at.toISOString(),
    webhook: { id: input.webhook._id, url: input.webhook.url, event: input.webhook.event },
    lastError: input.lastError,
    failingSince: input.failingSince.toISOString(),
    failedDeliveries: input.failedDeliveries,
  };
  if (input.thresholdPercent !== undefined) body.thresholdPercent = input.thresholdPercent;
  if (input.disableAt) body.disableAt = input.disableAt.toISOString();
  if (input.type === 'webhook.disabled') {
    body.disabledAt = input.at.toISOString();
    body.disabledReason = input.disabledReason;
  }
  return body;
}

/** What a test event (POST /v1/webhooks/{id}/test) of an operational type carries: a made-up failing webhook. */
export function sampleOperationalBody(
  type: OperationalEvent,
  webhook: Pick<WebhookRecord, '_id' | 'tenantId' | 'url' | 'event'>,
  now: Date,
): OperationalEventBody {
  const since = new Date(now.getTime() - 3 * 86400 * 1000);
  return buildOperationalBody({
    type,
    webhook: { ...webhook, event: 'document.processed' },
    lastError: 'HTTP 503',
    failingSince: since,
    failedDeliveries: 12,
    at: now,
    disableAt: type === 'webhook.failing' ? new Date(since.getTime() + 5 * 86400 * 1000) : undefined,
    thresholdPercent: type === 'webhook.failing' ? 50 : undefined,
    disabledReason: type === 'webhook.disabled' ? 'auto: HTTP 503' : undefined,
    discriminator: 'sample',
  });
}

export interface OperationalPublisherDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  startTimeoutMs?: number;
}

export function createOperationalPublisher(deps: OperationalPublisherDeps) {
  /**
   * Stores the event with its body and starts its event workflow; nothing when no webhook of the tenant is
   * subscribed to the type. Answers the event ID, or null when nobody listens.
   */
  async function publish(input: OperationalEventInput): Promise<string | null> {
    const tenantId = input.webhook.tenantId;
    const subscribers = await deps.store.webhooks.pageForEvent(tenantId, input.type, undefined, 1);
    if (subscribers.length === 0) return null;
    const eventId = `${input.type}.${input.webhook._id}.${input.failingSince.getTime()}.${input.discriminator}`;
    const key = eventKey(tenantId, eventId);
    await deps.store.events.insert({
      _id: key,
      tenantId,
      eventId,
      event: input.type,
      documentId: input.webhook._id,
      occurredAt: input.at,
      status: 'pending',
      body: JSON.stringify(buildOperationalBody(input)),
      createdAt: input.at,
      updatedAt: input.at,
    });
    // A second insert of the same ID (a retry) keeps the first body; the start is idempotent on the workflow ID.
    const stored = await deps.store.events.findByKey(key);
    await startEventWorkflow(
      { temporal: deps.temporal, taskQueue: deps.taskQueue, startTimeoutMs: deps.startTimeoutMs ?? 10_000 },
      {
        tenantId,
        eventId,
        event: input.type,
        documentId: input.webhook._id,
        occurredAt: stored?.occurredAt ?? input.at,
      },
    );
    return eventId;
  }

  return { publish };
}

export type OperationalPublisher = ReturnType<typeof createOperationalPublisher>;
