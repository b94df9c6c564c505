/**
 * The event workflow's first step. Since events are accepted with their body (POST /v1/events stores the exact
 * bytes before the 202), this finds the body and answers `ready` without reading the document. Only an event
 * accepted by an earlier release, whose workflow built the body itself, still has its document read here:
 * those must drain after an upgrade, not fail.
 */
import type { PlatformEventInput } from '../workflows/contracts';
import { buildPayload, serializePayload } from '../delivery/payload';
import { eventKey } from '../store/event-repository';
import type { ActivityDeps } from './deps';

export type PrepareEventResult = { status: 'ready' } | { status: 'failed'; reason: string } | { status: 'duplicate' };

export function createPrepareEvent(deps: ActivityDeps) {
  return async function prepareEvent(input: PlatformEventInput): Promise<PrepareEventResult> {
    const now = deps.now?.() ?? new Date();
    const key = eventKey(input.tenantId, input.eventId);
    const stored = await deps.store.events.ensure(
      {
        _id: key,
        tenantId: input.tenantId,
        eventId: input.eventId,
        event: input.event,
        documentId: input.documentId,
        occurredAt: new Date(input.occurredAt),
      },
      now,
    );
    // Already dispatched or failed by an earlier workflow for the same event ID (e.g. after history retention).
    if (stored.status === 'dispatched') return { status: 'duplicate' };
    if (stored.status === 'failed') return { status: 'failed', reason: stored.failureReason ?? 'failed earlier' };
    if (stored.body !== undefined) return { status: 'ready' };

    const document = await deps.store.documents.findForTenant(input.tenantId, input.documentId);
    if (!document) {
      const reason = `document ${input.documentId} not found for tenant ${input.tenantId}`;
      await deps.store.events.markFailed(key, reason, now);
      deps.logger.warn({ eventKey: key }, 'event failed: document not found');
      return { status: 'failed', reason };
    }
    const body = serializePayload(
      buildPayload({ event: input.event, tenantId: input.tenantId, occurredAt: stored.occurredAt, document }),
    );
    await deps.store.events.setBodyOnce(key, body, now);
    return { status: 'ready' };
  };
}
