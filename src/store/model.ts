/** The engine's records as stored in MongoDB. Secrets are only ever stored as EncryptedValue. */
import type { ObjectId } from 'mongodb';
import type { EncryptedValue } from '../crypto/secret-box';

export {
  DELIVERY_STATUSES,
  ERASED_REASON,
  OPEN_DELIVERY_STATUSES,
  ORDERINGS,
  type Ordering,
  OPERATIONAL_EVENTS,
  PLATFORM_EVENTS,
  SUBSCRIBABLE_EVENTS,
  TERMINAL_DELIVERY_STATUSES,
  type DeliveryStatus,
  type OperationalEvent,
  type PublishableEvent,
} from './vocabulary';
import {
  OPERATIONAL_EVENTS,
  type DeliveryStatus,
  type OperationalEvent,
  type Ordering,
  type SUBSCRIBABLE_EVENTS,
} from './vocabulary';

/**
 * Any event type a webhook subscribes to, an event record holds and a delivery carries: the platform's and
 * the engine's operational ones. (Named before operational events existed; the workflows' contracts use it.
 * What the platform may publish is PublishableEvent.)
 */
export type PlatformEvent = (typeof SUBSCRIBABLE_EVENTS)[number];

export function isOperationalEvent(event: string): event is OperationalEvent {
  return (OPERATIONAL_EVENTS as readonly string[]).includes(event);
}

export type WebhookStatus = 'active' | 'inactive';

/** Authorization as stored: the mode in clear, credentials encrypted. */
export type StoredAuth =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: EncryptedValue }
  | { type: 'bearer'; token: EncryptedValue }
  | { type: 'apiKey'; headerName: string; key: EncryptedValue };

export interface WebhookRecord {
  _id: string;
  tenantId: string;
  url: string;
  event: PlatformEvent;
  auth: StoredAuth;
  signingSecret?: EncryptedValue;
  /** Secrets replaced by a rotation, still signed with until they expire (the grace period). */
  previousSigningSecrets?: { secret: EncryptedValue; expiresAt: Date }[];
  status: WebhookStatus;
  /**
   * Bumped on every status change. Deliveries apply a status only with a newer version, so pause → resume →
   * pause ends paused whatever order the signals arrive in. Absent on records older than versioning: 0.
   */
  statusVersion?: number;
  /** Delays in seconds between attempts; the global default when absent. */
  retrySchedule?: number[];
  /** Why the engine set the webhook inactive by itself (`auto: <last error>`); cleared when it is set active. */
  disabledReason?: { reason: string; at: Date };
  /** Flow control (src/delivery/gate.ts): deliveries per second with a burst, concurrent attempts, order. */
  rateLimit?: RateLimit;
  maxInFlight?: number;
  ordering?: Ordering;
  createdAt: Date;
  updatedAt: Date;
}

/** At most `perSecond` attempts a second on average, `burst` of them at once (a token bucket). */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** A webhook's flow settings, as the gate applies them. */
export interface FlowSettings {
  rateLimit?: RateLimit;
  maxInFlight?: number;
  ordering: Ordering;
}

/** The flow settings a webhook has; undefined when it has none (its deliveries never ask a gate). */
export function flowSettingsOf(webhook: Pick<WebhookRecord, 'rateLimit' | 'maxInFlight' | 'ordering'>) {
  const ordering = webhook.ordering ?? 'none';
  if (!webhook.rateLimit && webhook.maxInFlight === undefined && ordering === 'none') return undefined;
  const flow: FlowSettings = { ordering };
  if (webhook.rateLimit) flow.rateLimit = { perSecond: webhook.rateLimit.perSecond, burst: webhook.rateLimit.burst };
  if (webhook.maxInFlight !== undefined) flow.maxInFlight = webhook.maxInFlight;
  return flow;
}

export interface EndpointHold {
  until: Date;
  /** What asked for it: `HTTP 429`, `HTTP 503`. */
  reason: string;
  /** How long the endpoint asked for (its Retry-After, or the throttle floor), before the ceiling. */
  askedSeconds: number;
}

export interface FailureStreak {
  since: Date;
  count: number;
  lastError: string;
  lastFailureAt: Date;
  /** Warning thresholds (percent of the window) already published for this streak. */
  warned: number[];
  /**
   * The webhook's status version it counts under: a status change (an operator's pause or re-enabling) ends it
   * without a write here. Absent on streaks older than that rule: they count under no version.
   */
  statusVersion?: number;
}

/**
 * What the engine learns about an endpoint as it sends, kept apart from the webhook's record, which is the
 * tenant's: FerretDB 1.24 applies an update by reading the document and writing all of it back, so an engine write
 * to the record made at the moment of a PATCH could undo the PATCH (a pause, a new limit). For the same reason
 * each kind of engine write has a document of its own (`_id` = the webhook's): the failure streak in
 * endpoint_states, the hold in endpoint_holds. EndpointStateRepository reads them as one.
 */
export interface EndpointState {
  /**
   * The endpoint asked every sender to wait (a 429, or a 503 with Retry-After): no automatic attempt of any
   * of its deliveries starts before `until`. Only ever moved later; the first success after it removes it.
   */
  hold?: EndpointHold;
  /**
   * Failed deliveries in a row (no success in between), kept for auto-disable: when the first of them ended,
   * how many, the last error, and which warnings (50, 90 % of WEBHOOK_DISABLE_AFTER) were published. A
   * success, a disable or a change of status ends it.
   */
  failureStreak?: FailureStreak;
  /** An automatic disabling claimed while the webhook was at `statusVersion`, until its status is written. */
  disabling?: { reason: string; at: Date; statusVersion: number };
}

/** endpoint_states: a webhook's failure streak and a disabling claimed from it. */
export interface EndpointStateRecord extends Omit<EndpointState, 'hold'> {
  _id: string;
  tenantId: string;
}

/** endpoint_holds: a webhook's hold. */
export interface EndpointHoldRecord extends EndpointHold {
  _id: string;
  tenantId: string;
}

/**
 * A webhook status change not yet handed to every running delivery (collection status_handoffs, `_id` = the
 * webhook's): set with the change, removed by the fan-out, found by the reconciler if the fan-out never ran.
 */
export interface StatusHandOffRecord {
  _id: string;
  tenantId: string;
  version: number;
  at: Date;
}

export type EventStatus = 'pending' | 'dispatched' | 'failed';

export interface EventRecord {
  /** `<tenantId>:<eventId>`: event IDs are unique per tenant. */
  _id: string;
  tenantId: string;
  eventId: string;
  event: PlatformEvent;
  documentId: string;
  occurredAt: Date;
  status: EventStatus;
  /** The exact bytes sent on every attempt (UTF-8 JSON), serialized once; removed when the payload is erased. */
  body?: string;
  /** When the payload was erased (DELETE /v1/events/{id}/payload): the body is gone, the metadata stays. */
  payloadErasedAt?: Date;
  failureReason?: string;
  deliveriesStarted?: number;
  deliveriesSkipped?: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryRecord {
  _id: string;
  tenantId: string;
  webhookId: string;
  eventKey: string;
  eventId: string;
  event: PlatformEvent;
  /** The document the event is about (a test event's sample document is named after it; absent on older records). */
  documentId?: string;
  workflowId: string;
  /** When the event was accepted (its record's createdAt): publish-to-first-delivery latency without a read. */
  eventAcceptedAt?: Date;
  /** `skipped`: the webhook was inactive when the event occurred; kept so it can be replayed.
   *  `cancelled`: its webhook was deleted, or an operator cancelled its workflow. */
  status: DeliveryStatus;
  attemptCount: number;
  /** Failed automatic attempts: where a run restarted from this record picks up the retry schedule. */
  scheduleStep?: number;
  lastAttemptAt?: Date;
  nextAttemptAt?: Date;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: Date;
  updatedAt: Date;
}

export type AttemptTrigger = 'automatic' | 'manual';
export type AttemptErrorClass =
  | 'http_status'
  | 'timeout'
  | 'connection'
  | 'tls'
  | 'dns'
  | 'blocked'
  | 'redirect'
  /** The worker stopped (crashed, froze, timed out) while this attempt was in flight: the receiver may or may
   *  not have got it. The next attempt has the next number; this one is never sent again. */
  | 'interrupted';

/** `sending` while the POST is in flight (claimed by one activity try); `done` once its outcome is recorded. */
export type AttemptState = 'sending' | 'done';

export interface AttemptRecord {
  _id: string;
  deliveryId: string;
  tenantId: string;
  webhookId: string;
  attempt: number;
  trigger: AttemptTrigger;
  /** Absent on attempts recorded before claims existed: those are all done. */
  state?: AttemptState;
  /** Which try of the attempt activity claimed it (Temporal's activity attempt number). */
  claimedByTry?: number;
  /** The claiming try's own ID: tries of a local activity in different workflow tasks share try numbers. */
  claimId?: string;
  /**
   * Until when the claimant may still be sending or recording (its send deadline plus a margin): a later try
   * that finds the attempt `sending` waits this out before closing it as interrupted. Absent on older claims.
   */
  leaseUntil?: Date;
  /** The redelivery request this manual attempt answered (so a retried request makes no second attempt). */
  requestId?: string;
  url: string;
  requestHeaders: Record<string, string>;
  delivered: boolean;
  statusCode?: number;
  responseBody?: string;
  responseBodyTruncated?: boolean;
  /** The response body was removed with its event's payload (a receiver may have echoed the document). */
  responseBodyErased?: boolean;
  durationMs: number;
  errorClass?: AttemptErrorClass;
  error?: string;
  /** The receiver's Retry-After, in seconds, when it sent one. */
  retryAfterSeconds?: number;
  startedAt: Date;
  createdAt: Date;
}

/** Docflo's own documents: read only. */
export interface DocfloDocument {
  _id: ObjectId | string;
  tenantId: string;
  type?: string;
  status?: string;
  createdAt?: Date;
  updatedAt?: Date;
  fields?: Record<string, unknown>;
  [key: string]: unknown;
}
