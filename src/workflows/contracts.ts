/**
 * What crosses the workflow/activity boundary and lands in Temporal history. IDs, statuses and numbers only:
 * no secret, credential, document field or response body ever appears here.
 */
import type { AttemptFacts, Fate, InFlight, SentFacts, Trigger } from '../delivery/fate';
import type { PredecessorCheck } from '../delivery/gate';
import type { RetryPolicy } from '../delivery/retry-policy';
import type { DeliveryStatus, PlatformEvent, WebhookStatus } from '../store/model';

export type { AttemptFacts, Fate, RedeliveryAnswer, SentFacts } from '../delivery/fate';

export interface PlatformEventInput {
  tenantId: string;
  eventId: string;
  event: PlatformEvent;
  documentId: string;
  /** ISO 8601. */
  occurredAt: string;
  /** Set when continuing as new after a batch of children. */
  cursor?: { afterWebhookId: string; started: number; skipped: number };
  /**
   * Recording and tests only (never set by the publish path): subscribers read per page and children started
   * per run before continuing as new, so a continue-as-new chain can be recorded with a handful of webhooks.
   * Carried through continue-as-new with the rest of the input.
   */
  pageSize?: number;
  childrenPerRun?: number;
  /** Tests only: the page dispatch's start-to-close timeout, so a test can slow a page write past it. */
  dispatchTimeoutMs?: number;
}

export type PlatformEventResult =
  | { status: 'dispatched'; deliveriesStarted: number; deliveriesSkipped: number }
  | { status: 'failed'; reason: string }
  | { status: 'duplicate' };

export interface DeliveryWorkflowInput {
  deliveryId: string;
  tenantId: string;
  webhookId: string;
  eventId: string;
  event: PlatformEvent;
  /** Seconds between automatic attempts. */
  retrySchedule: number[];
  /** The 429/timeout floor, the Retry-After cap and jitter (the worker's RETRY_* settings). */
  retryPolicy?: RetryPolicy;
  /** ISO time the event was accepted (publish-to-first-delivery latency, without a read). */
  eventAcceptedAt?: string;
  /** The endpoint's host and path (no query, no credentials), for what the Web UI shows. */
  target?: string;
  /** A fresh delivery: the webhook was active at this status version when the event was dispatched. */
  webhookStatusVersion?: number;
  /** A paused delivery re-reads its webhook after this many seconds (DELIVERY_PAUSE_RECHECK), doubling... */
  pauseRecheckSeconds?: number;
  /** ...up to this (DELIVERY_PAUSE_RECHECK_MAX). */
  pauseRecheckMaxSeconds?: number;
  /**
   * Where this run goes on from: the fate carried by continue-as-new, or what the record says (a restart by
   * the reconciler, a redelivery or recover of a finished delivery). Absent: a fresh delivery, due now.
   */
  resume?: Fate;
  /** A test event: one attempt, sent whatever the webhook's status, never retried. */
  test?: boolean;
  /** The document the event is about: an ordered webhook's key. */
  documentId?: string;
  /** The webhook had flow settings at dispatch: the first attempt asks its gate for a permit. */
  gated?: boolean;
  /** Continue as new once the history holds this many events (DELIVERY_HISTORY_LIMIT; DEFAULT_HISTORY_LIMIT). */
  historyLimit?: number;
}

/** A webhook's status as of a version; a delivery applies only a version newer than the one it has. */
export interface WebhookStatusChange {
  status: WebhookStatus;
  version: number;
}

/** One attempt of a delivery: everything the activity needs comes from the workflow's input, by ID. */
export interface SendAttemptInput {
  deliveryId: string;
  webhookId: string;
  /** `<tenantId>:<eventId>`: the stored event whose body is sent. */
  eventKey: string;
  event: PlatformEvent;
  attempt: number;
  trigger: Trigger;
  requestId?: string;
  /**
   * The first attempt, run as a local activity inside the workflow task: past this many ms it answers
   * `sending` and goes on in the worker, and the workflow waits for its record with awaitAttempt.
   */
  localBudgetMs?: number;
  /**
   * The record the workflow writes if this (first, local) attempt delivers, less the attempt's time and status
   * code: the attempt writes it with them through recordDeliveryState, so a delivery that succeeds at once
   * costs one local activity, not two. The workflow decided it; it skips its own write when the record it
   * comes to is this one.
   */
  recordOnDelivery?: PreparedDeliveryState;
  /**
   * An automatic attempt's retry delay if it fails (the schedule's next step; absent on the last attempt): a
   * connection that fails or times out holds the whole endpoint that long (src/delivery/endpoint-hold.ts).
   */
  failureDelaySeconds?: number;
  /** The gate's permit for this automatic attempt: its POST waits for `notBefore` and is not made late. */
  permit?: { id: string; notBefore: number; maxLateMs?: number };
  /**
   * The first attempt of a run dispatch just started: the only attempt that may take the body from the
   * worker's cache (every other reads the store, so an erased payload is never sent from memory).
   */
  justPublished?: boolean;
}

export type PreparedDeliveryState = Omit<RecordDeliveryStateInput, 'lastAttemptAt' | 'lastStatusCode'>;

/**
 * What sendAttempt answers: the attempt's facts (`stateRecorded` when it also wrote the record the workflow
 * prepared), or (a local first attempt past its budget) that it is still sending.
 */
export type SendAttemptResult = (AttemptFacts & { stateRecorded?: true }) | { kind: 'sending'; attempt: number };

/** The record a prepared write becomes with the facts of the attempt that delivered. */
export function deliveredState(prepared: PreparedDeliveryState, facts: SentFacts): RecordDeliveryStateInput {
  return {
    ...prepared,
    lastAttemptAt: facts.at === undefined ? undefined : new Date(facts.at).toISOString(),
    lastStatusCode: facts.statusCode,
  };
}

export interface DeliveryWorkflowResult {
  status: DeliveryStatus;
  attempts: number;
  /** The last attempt sent (or closed), as facts. */
  last?: SentFacts;
}

/** The delivery's record as the workflow writes it (its only writer). */
export interface RecordDeliveryStateInput {
  deliveryId: string;
  /** The attempts this state follows: the write is skipped if the record already counts more. */
  attempt: number;
  status: DeliveryStatus;
  /** Failed automatic attempts: where a restarted run picks up the retry schedule. */
  scheduleStep?: number;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  /** ISO time of the next automatic attempt; null clears it. */
  nextAttemptAt?: string | null;
  /** The status the workflow recorded before this one (absent: unknown, a change is looked for). */
  previousStatus?: DeliveryStatus;
  /** For the outcome hooks (metrics, auto-disable), so they need no read of the delivery. */
  webhookId: string;
  event: PlatformEvent;
  eventKey: string;
  eventAcceptedAt?: string;
}

/** What the deliveryState query shows. */
export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  paused: boolean;
  nextAttemptAt?: string;
  inFlight?: InFlight;
  last?: SentFacts;
  webhook: Fate['webhook'];
}

/** What the reconciler did about one delivery whose record said open while no workflow ran. */
export interface Repair {
  deliveryId: string;
  action: 'restarted' | 'cancelled';
  reason: string;
}

export interface RecoverWebhookInput {
  tenantId: string;
  webhookId: string;
  /** ISO 8601 window of the deliveries' creation times. */
  since: string;
  until: string;
  afterDeliveryId?: string;
  queued?: number;
}

/** One page of a recover: how many deliveries were asked to re-open, and where the next page starts. */
export interface RecoverPageResult {
  recovered: number;
  nextAfterDeliveryId?: string;
}

/** The event workflow's page step (a local activity). */
export interface DispatchPageInput {
  eventKey: string;
  afterWebhookId?: string;
  limit: number;
}

export interface DispatchPageResult {
  deliveries: { workflowId: string; input: DeliveryWorkflowInput }[];
  skipped: number;
  /** Undefined on the last page. */
  nextAfterWebhookId?: string;
}

export interface DispatchEventInput extends DispatchPageInput {
  /** Deliveries started and skipped by earlier pages (runs before a continue-as-new). */
  startedBefore: number;
  skippedBefore: number;
  /** The workflow's input: what an event not stored at publish (started by an older API) is built from. */
  platformEvent: Omit<PlatformEventInput, 'cursor'>;
}

export type DispatchEventResult = ({ status: 'ready' } & DispatchPageResult) | { status: 'failed'; reason: string };

/** One page of the reconciler's pass. */
export interface ReconcileInput {
  /** Only records unchanged for this long: a fresh `pending` may simply not have started yet. */
  olderThanSeconds: number;
  afterId?: string;
  limit: number;
}

/** A webhook status version handed to its running deliveries by the control workflow. */
export interface FanOutInput extends WebhookStatusChange {
  webhookId: string;
}

/**
 * What each workflow asks of the worker's activities, declared here (the bottom layer) so workflow code never
 * imports the activities' module: the worker's createActivities must satisfy all of them.
 */
export interface DeliveryActivities {
  /** One attempt as a regular activity: its facts once sent and recorded (or why nothing was sent). */
  sendAttempt: (input: SendAttemptInput) => Promise<AttemptFacts>;
  /** The first attempt as a local activity: its facts, or `sending` past its budget. */
  sendFirstAttempt: (input: SendAttemptInput) => Promise<SendAttemptResult>;
  /** The facts of an attempt another try claimed, once recorded (an open claim is waited out to its lease). */
  awaitAttempt: (input: SendAttemptInput) => Promise<AttemptFacts>;
  /** The delivery's record: the workflow is its only writer. */
  recordDeliveryState: (input: RecordDeliveryStateInput) => Promise<boolean>;
  /** The webhook's status and version now; null once it is deleted. */
  readWebhookStatus: (webhookId: string) => Promise<WebhookStatusChange | null>;
  /** Asks the webhook's gate for a permit (signal-with-start); `ungated` when the webhook has no flow settings. */
  askGate: (input: AskGateInput) => Promise<{ ungated: boolean }>;
}

export interface AskGateInput {
  webhookId: string;
  tenantId: string;
  /** The delivery's workflow ID: where the permit is signalled. */
  delivery: string;
  documentId: string;
  /** Its event's publish time (ms) and ID: the order an ordered webhook keeps. */
  order: [number, string];
  /** The permit it held before was reached late (the gate's pace counts it). */
  late?: boolean;
}

export interface CheckPredecessorsInput {
  webhookId: string;
  tenantId: string;
  asks: {
    delivery: string;
    /** Only this document's deliveries and events (ordering: document); all of the webhook's when absent. */
    documentId?: string;
    order: [number, string];
  }[];
}

export interface GateActivities {
  /** What the store says of ordered deliveries' predecessors (src/delivery/gate.ts), one read per collection. */
  checkOrderPredecessors: (input: CheckPredecessorsInput) => Promise<{ delivery: string; check: PredecessorCheck }[]>;
}

export interface EventActivities {
  dispatchEvent: (input: DispatchEventInput) => Promise<DispatchEventResult>;
}

export interface ControlActivities {
  /** Signals the version to every running delivery of the webhook; answers how many were running. */
  fanOutWebhookStatus: (input: FanOutInput) => Promise<number>;
}

export interface ReconcileActivities {
  reconcilePage: (input: ReconcileInput) => Promise<{ repairs: Repair[]; nextAfterId?: string }>;
  rehandWebhookStatuses: (input: { olderThanSeconds: number; limit: number }) => Promise<string[]>;
}

export interface RecoverActivities {
  recoverPage: (input: RecoverWebhookInput & { limit: number }) => Promise<RecoverPageResult>;
}

/** What a purge step deletes (docs/operations.md, "Retention"). */
export type PurgeStep = 'deliveries' | 'events' | 'attempts';

/** Whose records a purge step covers (one tenant, or all but some), and the ISO time before which they go. */
export interface PurgeScopeInput {
  tenantId?: string;
  excludeTenantIds?: string[];
  cutoff: string;
}

export interface PurgePlan {
  scopes: PurgeScopeInput[];
}

export interface PurgePageInput {
  step: PurgeStep;
  scope: PurgeScopeInput;
  afterId?: string;
  limit: number;
}

export interface PurgePageResult {
  purged: number;
  /** Attempts that went with the page's deliveries. */
  attempts?: number;
  nextAfterId?: string;
}

export interface RetentionReport {
  /** Age of the oldest record of each collection. */
  oldestSeconds: { events: number; deliveries: number; attempts: number };
  /** How far the oldest finished delivery (of tenants on the default retention) is past it: the purge's lag. */
  lagSeconds: number;
  retentionSeconds: number;
}

export interface PurgeWorkflowInput {
  /** Records per page (PURGE_BATCH). */
  batch?: number;
  /** Pause between pages (PURGE_PAUSE_MS), so delivery traffic never waits behind the purge. */
  pauseMs?: number;
  /** Pages per run; the next run goes on. */
  maxPages?: number;
}

export interface PurgeWorkflowResult extends RetentionReport {
  purged: Record<PurgeStep, number>;
  pages: number;
  /** False when the run stopped at maxPages with more to do. */
  complete: boolean;
}

export interface PurgeActivities {
  planPurge: () => Promise<PurgePlan>;
  purgePage: (input: PurgePageInput) => Promise<PurgePageResult>;
  /** `ownRetention`: the tenants the plan found with a retention of their own. */
  reportRetention: (totals: { purged: number; ownRetention: string[] }) => Promise<RetentionReport>;
}

/** Where a tenant's erasure goes on from (continue-as-new carries it). */
export type ErasureStep = 'stopping' | 'deleting' | 'histories';

export interface TenantErasureInput {
  erasureId: string;
  tenantId: string;
  /** Records deleted per page (PURGE_BATCH) and the pause between pages (PURGE_PAUSE_MS). */
  batch?: number;
  pauseMs?: number;
  step?: ErasureStep;
}

export interface ErasureIds {
  erasureId: string;
  tenantId: string;
}

export interface ErasureActivities {
  /** Keys revoked and webhooks deleted (again: the API did it first; this catches a crash before it). */
  sealTenant: (input: ErasureIds) => Promise<void>;
  /** Terminates the tenant's running workflows; answers how many were still running. */
  stopTenantWorkflows: (input: ErasureIds) => Promise<{ running: number }>;
  setErasureStep: (input: ErasureIds & { step: ErasureStep }) => Promise<void>;
  /** One page of the tenant's records; answers how many went (0: none left). */
  eraseTenantPage: (input: ErasureIds & { limit: number }) => Promise<{ deleted: number }>;
  /** One page of the tenant's workflow executions deleted from Temporal; answers how many were listed. */
  eraseTenantHistories: (input: ErasureIds & { limit: number }) => Promise<{ listed: number }>;
  completeErasure: (input: ErasureIds) => Promise<void>;
}

export type WorkflowActivities = DeliveryActivities &
  GateActivities &
  PurgeActivities &
  ErasureActivities &
  EventActivities &
  ControlActivities &
  ReconcileActivities &
  RecoverActivities;
