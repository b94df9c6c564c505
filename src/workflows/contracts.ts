/**
 * What crosses the workflow/activity boundary and lands in Temporal history. IDs, statuses and numbers only:
 * no secret, credential, document field or response body ever appears here.
 */
import type { AttemptErrorClass, AttemptTrigger, DeliveryStatus, PlatformEvent } from '../store/model';

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
  | { kind: 'delivered'; attempt: number; statusCode: number; durationMs: number }
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
  | { kind: 'webhook_inactive' }
  | { kind: 'webhook_deleted' };

export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  paused: boolean;
  nextAttemptAt?: string;
  lastResult?: AttemptResult;
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
