/**
 * The engine's vocabulary: event types and delivery statuses. No imports, so the portal's page bundles it too
 * (src/portal/ui) and shows exactly the lists the API validates against.
 */
/** What the Docflo platform may publish (POST /v1/events). */
export const PLATFORM_EVENTS = [
  'document.created',
  'document.processed',
  'document.approved',
  'document.rejected',
  'document.status_changed',
] as const;
export type PublishableEvent = (typeof PLATFORM_EVENTS)[number];

/** What the engine itself publishes about a tenant's webhooks (auto-disable): subscribable, never publishable. */
export const OPERATIONAL_EVENTS = ['webhook.failing', 'webhook.disabled'] as const;
export type OperationalEvent = (typeof OPERATIONAL_EVENTS)[number];

/** Every event type a webhook may subscribe to. */
export const SUBSCRIBABLE_EVENTS = [...PLATFORM_EVENTS, ...OPERATIONAL_EVENTS] as const;

export const DELIVERY_STATUSES = [
  'pending',
  'delivering',
  'retrying',
  'paused',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** Why a delivery ended `failed` when its event's payload was erased (its record's lastError). */
export const ERASED_REASON = 'erased';
export const OPEN_DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'delivering', 'retrying', 'paused'];
/** A delivery in one of these has ended: nothing more is sent unless it is redelivered or recovered. */
export const TERMINAL_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/**
 * Per-webhook delivery order: `none` (any order), `document` (the events of one document in publish order,
 * documents in parallel), `webhook` (one at a time, in publish order, for the whole endpoint).
 */
export const ORDERINGS = ['none', 'document', 'webhook'] as const;
export type Ordering = (typeof ORDERINGS)[number];
