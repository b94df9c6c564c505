/**
 * What crosses the workflow/activity boundary and lands in Temporal history. IDs, statuses and numbers only:
 * no secret, credential, document field or response body ever appears here.
 */
import type { AttemptErrorClass, AttemptTrigger, DeliveryStatus, PlatformEvent, WebhookStatus } from '../store/model';

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
  /** Attempts already made (a manual run of a finished delivery continues the numbering). */
  attemptsSoFar?: number;
  /** 'manual': one operator-requested attempt of a delivery whose automatic run has ended. */
  mode?: 'automatic' | 'manual';
  /** For a manual run: the status the delivery ended with, kept if the manual attempt fails. */
  finishedStatus?: DeliveryStatus;
  /** For a manual run: the redelivery request it answers (recorded with the attempt, for de-duplication). */
  requestId?: string;
  /** ISO time the event was accepted (publish-to-first-delivery latency, without a read). */
  eventAcceptedAt?: string;
  /** The endpoint's host and path (no query, no credentials), for what the Web UI shows. */
  target?: string;
  /** The webhook's status version when this run was started: older status signals are ignored. */
  webhookStatusVersion?: number;
  /** A paused delivery re-reads its webhook this often (DELIVERY_PAUSE_RECHECK), whatever signal was lost. */
  pauseRecheckSeconds?: number;
}

/** A webhook's status as of a version; a delivery applies only a version newer than the one it has. */
export interface WebhookStatusChange {
  status: WebhookStatus;
  version: number;
}

/** One attempt of a delivery (v2): everything the activity needs comes from the workflow's input, by ID. */
export interface SendAttemptInput {
  deliveryId: string;
  webhookId: string;
  /** `<tenantId>:<eventId>`: the stored event whose body is sent. */
  eventKey: string;
  event: PlatformEvent;
  attempt: number;
  trigger: AttemptTrigger;
  /** The schedule's delay before the next attempt, when there is one: the activity returns the actual delay. */
  scheduledSeconds?: number;
  requestId?: string;
  /**
   * Set by the workflow for its first local attempt: on delivery the activity records the delivery
   * `succeeded` itself (what the workflow's own state write would say), saving that write's local activity.
   */
  settleOnDelivery?: { previousStatus?: DeliveryStatus; eventAcceptedAt?: string };
}

export interface DeliveryWorkflowResult {
  status: DeliveryStatus;
  attempts: number;
  lastResult?: AttemptResult;
}

/** What the workflow does with the delivery's status if this attempt fails. */
export type FailurePlan = { kind: 'retry'; scheduledSeconds: number } | { kind: 'final' } | { kind: 'unchanged' };

export interface AttemptInput {
  deliveryId: string;
  attempt: number;
  trigger: AttemptTrigger;
  failurePlan: FailurePlan;
}

export type AttemptResult =
  | {
      kind: 'delivered';
      attempt: number;
      statusCode: number;
      durationMs: number;
      /** The activity recorded the delivery `succeeded` (settleOnDelivery). */
      settled?: boolean;
    }
  | {
      kind: 'failed';
      attempt: number;
      statusCode?: number;
      errorClass: AttemptErrorClass;
      error: string;
      durationMs: number;
      /** When to retry, or null when this failure is final (schedule exhausted, not retryable, or manual). */
      retryInMs: number | null;
    }
  | { kind: 'webhook_inactive'; statusVersion?: number }
  | { kind: 'webhook_deleted' };

export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  paused: boolean;
  nextAttemptAt?: string;
  lastResult?: AttemptResult;
  /** The webhook status (and its version) the delivery acts on; absent in v1 runs. */
  webhook?: WebhookStatusChange;
}

/** What the reconciler did about one delivery whose record said open while no workflow ran. */
export interface Repair {
  deliveryId: string;
  action: 'restarted' | 'recorded';
  status?: DeliveryStatus;
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
