/**
 * The delivery workflow's state, in one holder (as in Temporal's safe-message-handlers pattern): message
 * handlers only change state through these methods, the main loop reads it. Deterministic, no I/O.
 */
import type { DeliveryStatus } from '../store/model';
import type { AttemptResult, DeliveryState, DeliveryWorkflowInput, WebhookStatusChange } from './contracts';

export class DeliveryRun {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: Date;
  lastResult?: AttemptResult;
  /** When the current pause began (workflow time). */
  pausedSince?: Date;
  /** Failed automatic attempts: the position in the retry schedule. */
  automaticFailures = 0;
  /** The webhook status this run acts on, and its version; only a newer version replaces it. */
  webhook: WebhookStatusChange;
  done = false;
  cancelled = false;
  attemptInFlight = false;
  private inBackoff = false;
  private retryNowRequested = false;

  constructor(input: DeliveryWorkflowInput) {
    this.status = input.mode === 'manual' ? (input.finishedStatus ?? 'failed') : 'pending';
    this.attempts = input.attemptsSoFar ?? 0;
    this.webhook = { status: 'active', version: input.webhookStatusVersion ?? -1 };
  }

  get paused(): boolean {
    return this.webhook.status === 'inactive' && !this.done;
  }

  /** Applies a webhook status if it is newer than the one held; answers whether it was. */
  applyWebhookStatus(change: WebhookStatusChange): boolean {
    if (change.version <= this.webhook.version) return false;
    this.webhook = { status: change.status, version: change.version };
    return true;
  }

  /** Retry-now only cuts a backoff that is running; one that arrives during an attempt is dropped. */
  requestRetryNow(): boolean {
    if (!this.inBackoff) return false;
    this.retryNowRequested = true;
    return true;
  }

  get retryNowPending(): boolean {
    return this.retryNowRequested;
  }

  enterBackoff(): void {
    this.inBackoff = true;
    this.retryNowRequested = false;
  }

  leaveBackoff(): void {
    this.inBackoff = false;
    this.retryNowRequested = false;
  }

  cancel(): void {
    this.cancelled = true;
    this.done = true;
  }

  /** The status an attempt's own message leaves the delivery in, for what the query and the record show. */
  view(): DeliveryState {
    return {
      status: this.status,
      attempts: this.attempts,
      paused: this.paused,
      nextAttemptAt: this.nextAttemptAt?.toISOString(),
      lastResult: this.lastResult,
      webhook: this.webhook,
    };
  }
}
