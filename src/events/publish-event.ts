/**
 * Taking in a platform event, exactly once. Before it answers, the publisher reads the document (scoped to the
 * tenant) and stores the event with the exact body bytes every attempt will send, so a delivery carries the
 * document as it was when the event was published, and a missing document is the platform's 404, not a
 * failure found minutes later. Then it starts the event workflow. A failure in between leaves a stored event
 * the platform's retry (same eventId) picks up: the retry compares, then starts the workflow once.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import { buildPayload, serializePayload } from '../delivery/payload';
import { ConflictStateError, NotFoundError } from '../errors';
import type { Store } from '../store';
import { eventKey } from '../store/event-repository';
import type { EventRecord, PlatformEvent, PublishableEvent } from '../store/model';
import { withTemporalDeadline } from '../temporal/unavailable';
import type { platformEventWorkflow } from '../workflows';
import { eventWorkflowId } from '../workflows/ids';
import { EventTypeKey, TenantIdKey } from '../workflows/search-attribute-keys';

export interface PublishInput {
  eventId: string;
  tenantId: string;
  event: PublishableEvent;
  documentId: string;
  /** ISO 8601; the time of publishing when absent. */
  occurredAt?: string;
}

export interface PublishedEvent {
  eventId: string;
  workflowId: string;
}

export interface EventPublisherDeps {
  temporal: Client;
  taskQueue: string;
  store: Store;
  /** Bound on the workflow start: past it the platform gets a 503 and retries. */
  startTimeoutMs: number;
  now?: () => Date;
}

/** What of an earlier event with the same ID differs from this one (none: a retry of the same event). */
export function eventDifferences(stored: EventRecord, input: PublishInput): { field: string; message: string }[] {
  const differences: { field: string; message: string }[] = [];
  if (stored.event !== input.event) {
    differences.push({ field: 'body.event', message: `was ${stored.event}` });
  }
  if (stored.documentId !== input.documentId) {
    differences.push({ field: 'body.documentId', message: `was ${stored.documentId}` });
  }
  // A retry that leaves occurredAt out means "the same event": only a timestamp that is given can differ.
  if (input.occurredAt !== undefined && Date.parse(input.occurredAt) !== stored.occurredAt.getTime()) {
    differences.push({ field: 'body.occurredAt', message: `was ${stored.occurredAt.toISOString()}` });
  }
  return differences;
}

export function createEventPublisher(deps: EventPublisherDeps) {
  const now = (): Date => deps.now?.() ?? new Date();

  async function publish(input: PublishInput): Promise<PublishedEvent> {
    const key = eventKey(input.tenantId, input.eventId);
    const existing = await deps.store.events.findByKey(key);
    const accepted = existing ?? (await accept(input, key));
    if (accepted !== 'inserted') assertSameEvent(accepted, input);
    const workflowId = await startWorkflow(input, accepted === 'inserted' ? undefined : accepted);
    return { eventId: input.eventId, workflowId };
  }

  /** Stores the event with its body; a concurrent publish of the same ID that won the insert is returned. */
  async function accept(input: PublishInput, key: string): Promise<EventRecord | 'inserted'> {
    const tenant = await deps.store.tenants.findById(input.tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${input.tenantId}`, 'tenant_not_found');
    if (tenant.erasureId) throw new ConflictStateError(`tenant ${input.tenantId} is being erased`, 'tenant_erasing');
    const document = await deps.store.documents.findForTenant(input.tenantId, input.documentId);
    if (!document) throw new NotFoundError(`document ${input.documentId}`, 'document_not_found');
    const at = now();
    const occurredAt = input.occurredAt ? new Date(input.occurredAt) : at;
    const body = serializePayload(buildPayload({ event: input.event, tenantId: input.tenantId, occurredAt, document }));
    const inserted = await deps.store.events.insert({
      _id: key,
      tenantId: input.tenantId,
      eventId: input.eventId,
      event: input.event,
      documentId: input.documentId,
      occurredAt,
      status: 'pending',
      body,
      createdAt: at,
      updatedAt: at,
    });
    if (inserted) return 'inserted';
    const winner = await deps.store.events.findByKey(key);
    if (!winner) throw new Error(`event ${key} neither inserted nor found`);
    return winner;
  }

  function assertSameEvent(stored: EventRecord, input: PublishInput): void {
    const differences = eventDifferences(stored, input);
    if (differences.length === 0) return;
    throw new ConflictStateError(
      `event ${input.eventId} was already published with a different ${differences.map((d) => d.field.replace('body.', '')).join(', ')}`,
      'event_conflict',
      differences,
    );
  }

  /** Starts the event workflow with what was stored first (a retry that differs was refused above). */
  async function startWorkflow(input: PublishInput, stored: EventRecord | undefined): Promise<string> {
    const occurredAt = stored?.occurredAt ?? (input.occurredAt ? new Date(input.occurredAt) : now());
    return startEventWorkflow(deps, {
      tenantId: input.tenantId,
      eventId: input.eventId,
      event: stored?.event ?? input.event,
      documentId: stored?.documentId ?? input.documentId,
      occurredAt,
    });
  }

  return { publish };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;

/**
 * Starts the event workflow of a stored event, or finds it started. A run that completed stays the answer
 * (its deliveries went out); one that failed, timed out or was terminated by hand is started again:
 * deliveries stay idempotent by their IDs. Platform events and the engine's operational events alike.
 */
export async function startEventWorkflow(
  deps: Pick<EventPublisherDeps, 'temporal' | 'taskQueue' | 'startTimeoutMs'>,
  event: { tenantId: string; eventId: string; event: PlatformEvent; documentId: string; occurredAt: Date },
): Promise<string> {
  const workflowId = eventWorkflowId(event.tenantId, event.eventId);
  try {
    await withTemporalDeadline(deps.temporal, deps.startTimeoutMs, () =>
      deps.temporal.workflow.start<typeof platformEventWorkflow>('platformEventWorkflow', {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [
          {
            tenantId: event.tenantId,
            eventId: event.eventId,
            event: event.event,
            documentId: event.documentId,
            occurredAt: event.occurredAt.toISOString(),
          },
        ],
        staticSummary: `${event.event} for tenant ${event.tenantId}`,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: [
          { key: TenantIdKey, value: event.tenantId },
          { key: EventTypeKey, value: event.event },
        ],
      }),
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}
