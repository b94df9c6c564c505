/**
 * One event to one webhook (v2): attempt; on failure wait out the retry schedule; until delivered or the
 * schedule is spent. The webhook's status arrives as versioned signals (only a newer version applies), and a
 * paused delivery re-reads it on a timer, so no lost or reordered signal can strand it. The workflow owns the
 * delivery's status: attempts report outcomes, and the workflow records the state it decides (conditionally on
 * the attempt number, so no stale write wins); only the first, local attempt records `succeeded` itself, as the
 * workflow would. Cancelled from the Web UI or CLI, it records `cancelled` unless the delivery succeeded.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { deliveryDetails, hostOf } from '../delivery/summary';
import type { DeliveryStatus } from '../store/model';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { AttemptResult, DeliveryWorkflowInput, DeliveryWorkflowResult, SendAttemptInput } from './contracts';
import { DeliveryRun } from './delivery-run';
import {
  cancelSignal,
  deliveryStateQuery,
  pauseSignal,
  redeliverUpdate,
  resumeSignal,
  retryNowSignal,
  webhookStatusSignal,
} from './messages';
import { AttemptCountKey, DeliveryStatusKey, NextAttemptAtKey } from './search-attribute-keys';

type Activities = ReturnType<typeof createActivities>;

// The send is bounded at DELIVERY_TIMEOUT_MS (30 s by default); a regular attempt runs under a 10-second
// heartbeat, so a worker that stops anywhere in it is noticed in seconds. Infrastructure failures retry forever.
// Three minutes outlast the longest claim lease (DELIVERY_TIMEOUT_MS at most 120 s, plus 15 s) that a try may
// wait out before it closes another's claim.
const { sendAttempt } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: INFRASTRUCTURE_RETRY,
});
const { recordDeliveryState, readWebhookStatus } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: INFRASTRUCTURE_RETRY,
});
// The first automatic attempt runs as a local activity inside the delivery's first workflow task: no activity
// task and no second workflow task for a delivery that succeeds at once (docs/performance.md). It is cut off
// with its workflow task (an eviction, a server restart) while its worker lives on; sendAttempt's local tries
// finish the send they began and record it, and the retry waits for that record instead of sending again.
const { sendAttempt: sendFirstAttemptLocally, settleClaimedAttempt } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  retry: INFRASTRUCTURE_RETRY,
});
/** Runs that made their first attempt before this release (no marker there) replay it as a regular activity. */
export const FIRST_ATTEMPT_LOCAL_PATCH = 'delivery-v2-first-attempt-local';

const DEFAULT_PAUSE_RECHECK_SECONDS = 300;

export async function deliveryWorkflowV2(input: DeliveryWorkflowInput): Promise<DeliveryWorkflowResult> {
  const run = new DeliveryRun(input);
  const eventKey = `${input.tenantId}:${input.eventId}`;
  const recheckMs = (input.pauseRecheckSeconds ?? DEFAULT_PAUSE_RECHECK_SECONDS) * 1000;
  const host = hostOf(input.target ?? 'endpoint');
  /** What this run last wrote to the delivery record (undefined: not yet, the dispatch's record stands). */
  let recordedStatus: DeliveryStatus | undefined = input.mode === 'manual' ? input.finishedStatus : undefined;
  /** Status, attempts and next attempt as last written to the search attributes (the start sets the first). */
  let lastSearchable = `${run.status}|${run.attempts}|`;
  const maxAttempts = (input.attemptsSoFar ?? 0) + input.retrySchedule.length + 1;
  /** What the Web UI's workflow page and list show as this delivery's current details. */
  const showDetails = (): void =>
    setCurrentDetails(
      deliveryDetails({
        status: run.status,
        host,
        attempts: run.attempts,
        maxAttempts,
        lastResult: run.lastResult,
        nextAttemptAt: run.nextAttemptAt,
        pausedSince: run.pausedSince,
        now: new Date(),
      }),
    );
  showDetails();

  setHandler(webhookStatusSignal, (change) => {
    run.applyWebhookStatus(change);
  });
  // Superseded by webhookStatus (a fan-out sends both, for runs of the previous release): nothing to do here.
  setHandler(pauseSignal, () => undefined);
  setHandler(resumeSignal, () => undefined);
  setHandler(retryNowSignal, () => {
    run.requestRetryNow();
  });
  setHandler(cancelSignal, () => run.cancel());
  setHandler(deliveryStateQuery, () => run.view());
  setHandler(redeliverUpdate, (requestId: string) => redeliverWhileRunning(requestId), {
    validator: (_requestId: string) => {
      if (run.done) throw new Error(`the delivery has already finished (${run.status})`);
    },
  });

  try {
    if (input.mode === 'manual') await redeliverFinished();
    else await deliverAutomatically();
    if (run.cancelled && run.status !== 'succeeded') await settle('cancelled');
    await condition(allHandlersFinished);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled by an operator (Web UI, CLI): say so in the record, then end as cancelled. A delivery that
    // succeeded keeps `succeeded`, including by an attempt the cancel cut off (its try may still be sending):
    // that attempt's outcome is waited for first. Runs of this release only: older runs replay without it.
    if (!patched(FIRST_ATTEMPT_LOCAL_PATCH)) {
      await CancellationScope.nonCancellable(() => settle('cancelled'));
    } else if (run.status !== 'succeeded') {
      await CancellationScope.nonCancellable(async () => {
        const cutOff = await settleClaimedAttempt(
          attemptInput(run.attempts + 1, 'automatic', undefined, undefined, true),
        );
        if (cutOff?.kind === 'delivered' && cutOff.settled) {
          run.attempts = cutOff.attempt;
          run.lastResult = cutOff;
          takeSettled();
          await setState('succeeded', undefined, undefined, 'recorded');
        } else {
          await settle('cancelled');
        }
      });
    }
    throw err;
  }
  return { status: run.status, attempts: run.attempts, lastResult: run.lastResult };

  async function deliverAutomatically(): Promise<void> {
    for (;;) {
      await whilePaused();
      if (run.done) return;
      const result = await attempt('automatic', input.retrySchedule[run.automaticFailures]);
      if (!result) return;
      // Recorded by the attempt itself (the first, local one): only the search attributes are left.
      if (result.kind === 'delivered' && result.settled) return setState('succeeded', undefined, undefined, 'recorded');
      if (run.done) return;
      switch (result.kind) {
        case 'delivered':
          return settle('succeeded');
        case 'webhook_deleted':
          return settle('failed', 'webhook was deleted');
        case 'webhook_inactive':
          // Read before a newer status reached us? Then it is ignored and the next attempt reads again.
          run.applyWebhookStatus({ status: 'inactive', version: result.statusVersion ?? run.webhook.version + 1 });
          continue;
        case 'failed':
          run.automaticFailures++;
          if (result.retryInMs === null) return settle('failed');
          // The backoff counts from here: a retry-now that arrives while `retrying` is recorded cuts it.
          run.enterBackoff();
          await setState('retrying', new Date(Date.now() + result.retryInMs));
          await backoff(Date.now() + result.retryInMs);
      }
    }
  }

  /** A manual run of a finished delivery: one attempt; its status changes only if the attempt delivers. */
  async function redeliverFinished(): Promise<void> {
    const result = await attempt('manual', undefined, input.requestId);
    if (result?.kind === 'delivered') await settle('succeeded');
    else await setState(run.status, run.nextAttemptAt);
  }

  /** A redelivery while the automatic schedule runs: one attempt now; success ends the delivery. */
  async function redeliverWhileRunning(requestId?: string): Promise<AttemptResult> {
    const result = await attempt('manual', undefined, requestId);
    if (!result) throw new Error('the delivery finished before the redelivery could start');
    if (result.kind === 'delivered') {
      run.done = true;
      await settle('succeeded');
    } else {
      await setState(run.status, run.nextAttemptAt);
    }
    return result;
  }

  /** One attempt at a time; an automatic one that waited for a manual success does not happen. */
  async function attempt(
    trigger: 'automatic' | 'manual',
    scheduledSeconds: number | undefined,
    requestId?: string,
  ): Promise<AttemptResult | undefined> {
    await condition(() => !run.attemptInFlight || (trigger === 'automatic' && run.done));
    if (trigger === 'automatic' && run.done) return undefined;
    run.attemptInFlight = true;
    try {
      const number = run.attempts + 1;
      const firstOfRun = trigger === 'automatic' && run.attempts === (input.attemptsSoFar ?? 0);
      const local = firstOfRun && patched(FIRST_ATTEMPT_LOCAL_PATCH);
      const args = attemptInput(number, trigger, scheduledSeconds, requestId, local);
      // An operator's cancel waits for a local attempt's result: the attempt finishes a POST it began anyway,
      // and the workflow must see whether it delivered (and recorded `succeeded`) before it records anything.
      const result = local
        ? await CancellationScope.nonCancellable(() => sendFirstAttemptLocally(args))
        : await sendAttempt(args);
      run.lastResult = result;
      // Already `succeeded` in the store: the workflow takes it as its own state. (A redelivery queued behind
      // this attempt still makes its one attempt, as after any success; a cancel records nothing over it.)
      if (result.kind === 'delivered' && result.settled) takeSettled();
      if (result.kind === 'delivered' || result.kind === 'failed') run.attempts = number;
      return result;
    } finally {
      run.attemptInFlight = false;
    }
  }

  function attemptInput(
    number: number,
    trigger: 'automatic' | 'manual',
    scheduledSeconds: number | undefined,
    requestId: string | undefined,
    settleOnDelivery: boolean,
  ): SendAttemptInput {
    return {
      deliveryId: input.deliveryId,
      webhookId: input.webhookId,
      eventKey,
      event: input.event,
      attempt: number,
      trigger,
      scheduledSeconds,
      requestId,
      ...(settleOnDelivery
        ? { settleOnDelivery: { previousStatus: recordedStatus, eventAcceptedAt: input.eventAcceptedAt } }
        : {}),
    };
  }

  /** An attempt recorded the delivery `succeeded` itself (settleOnDelivery). */
  function takeSettled(): void {
    run.done = true;
    run.status = 'succeeded';
    recordedStatus = 'succeeded';
  }

  /** Waits while the webhook is inactive, re-reading it on a timer: a lost resume costs minutes, never forever. */
  async function whilePaused(): Promise<void> {
    if (!run.paused) return;
    const resumeTo: DeliveryStatus = run.attempts === 0 ? 'pending' : 'retrying';
    run.pausedSince = new Date();
    await setState('paused', run.nextAttemptAt);
    while (run.paused) {
      if (await condition(() => !run.paused, recheckMs)) break;
      const current = await readWebhookStatus(input.webhookId);
      if (!current) return settle('failed', 'webhook was deleted');
      run.applyWebhookStatus(current);
    }
    run.pausedSince = undefined;
    if (!run.done) await setState(resumeTo, run.nextAttemptAt);
  }

  /** Sleeps until `until` (entered with run.enterBackoff()); retry-now or a manual success cut it short. */
  async function backoff(until: number): Promise<void> {
    try {
      while (!run.done && !run.retryNowPending) {
        if (run.paused) {
          await whilePaused();
          continue;
        }
        const remaining = until - Date.now();
        if (remaining <= 0) break;
        await condition(() => run.retryNowPending || run.done || run.paused, remaining);
      }
    } finally {
      run.leaveBackoff();
    }
  }

  async function settle(status: DeliveryStatus, error?: string): Promise<void> {
    run.done = true;
    await setState(status, undefined, error);
  }

  /**
   * The one place the delivery's status changes: search attributes (when it changes) and the stored record
   * (unless an attempt already `recorded` it).
   */
  async function setState(
    status: DeliveryStatus,
    nextAttemptAt?: Date,
    error?: string,
    record: 'record' | 'recorded' = 'record',
  ): Promise<void> {
    const previousStatus = recordedStatus;
    recordedStatus = status;
    run.status = status;
    run.nextAttemptAt = nextAttemptAt;
    showDetails();
    // A visibility write only when what a user can search for changed.
    const searchable = `${status}|${run.attempts}|${nextAttemptAt?.getTime() ?? ''}`;
    if (searchable !== lastSearchable) {
      lastSearchable = searchable;
      upsertSearchAttributes([
        { key: DeliveryStatusKey, value: status },
        { key: AttemptCountKey, value: run.attempts },
        { key: NextAttemptAtKey, value: nextAttemptAt ?? null },
      ]);
    }
    if (record === 'recorded') return;
    const last = run.lastResult;
    const made = last && (last.kind === 'delivered' || last.kind === 'failed') ? last : undefined;
    await recordDeliveryState({
      deliveryId: input.deliveryId,
      attempt: run.attempts,
      status,
      lastAttemptAt: made ? new Date().toISOString() : undefined,
      lastStatusCode: made?.statusCode,
      lastError: error ?? (made?.kind === 'failed' ? made.error : made ? '' : undefined),
      nextAttemptAt: nextAttemptAt ? nextAttemptAt.toISOString() : null,
      previousStatus,
      webhookId: input.webhookId,
      event: input.event,
      eventKey,
      eventAcceptedAt: input.eventAcceptedAt,
    });
  }
}
