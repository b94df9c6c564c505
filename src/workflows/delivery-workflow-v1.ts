/**
 * FROZEN: the delivery workflow as released before versioned pause/resume (v1). It runs only deliveries
 * whose history has no `delivery-v2` patch marker, i.e. those started by that release, until they drain
 * (docs/operations.md says when it can be deleted). Do not change it: its commands must replay as recorded.
 *
 * One event to one webhook: attempt, and on failure wait out the retry schedule, until delivered or the
 * schedule is spent. Pause/resume, retry-now and manual redelivery arrive as messages; every state change is
 * mirrored into search attributes so operators can find a delivery by status in the Web UI.
 */
import {
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { DeliveryStatus } from '../store/model';
import type {
  AttemptResult,
  DeliveryState,
  DeliveryWorkflowInput,
  DeliveryWorkflowResult,
  FailurePlan,
} from './contracts';
import {
  cancelSignal,
  deliveryStateQuery,
  pauseSignal,
  redeliverUpdate,
  resumeSignal,
  retryNowSignal,
} from './messages';
import { AttemptCountKey, DeliveryStatusKey, NextAttemptAtKey } from './search-attribute-keys';

type Activities = ReturnType<typeof createActivities>;

// The send itself is bounded at 30 s; the rest covers loading and recording. Store outages retry forever
// with backoff: they must never turn into a lost delivery or a counted attempt.
const { attemptDelivery } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // The attempt heartbeats while it waits on the receiver: a worker that dies mid-attempt is noticed in
  // seconds, not at the start-to-close timeout.
  heartbeatTimeout: '10 seconds',
  retry: INFRASTRUCTURE_RETRY,
});
const { recordDeliveryStatus } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: INFRASTRUCTURE_RETRY,
});

export async function deliveryWorkflowV1(input: DeliveryWorkflowInput): Promise<DeliveryWorkflowResult> {
  const state: DeliveryState = {
    status: input.mode === 'manual' ? (input.finishedStatus ?? 'failed') : 'pending',
    attempts: input.attemptsSoFar ?? 0,
    paused: false,
  };
  let done = false;
  let retryNow = false;
  let attemptInFlight = false;
  let automaticFailures = 0;
  let cancelled = false;

  const setStatus = (status: DeliveryStatus, nextAttemptAt?: Date): void => {
    state.status = status;
    state.nextAttemptAt = nextAttemptAt?.toISOString();
    upsertSearchAttributes([
      { key: DeliveryStatusKey, value: status },
      { key: AttemptCountKey, value: state.attempts },
      { key: NextAttemptAtKey, value: nextAttemptAt ?? null },
    ]);
  };

  /** One attempt at a time: a manual redelivery waits for an automatic attempt in flight, and vice versa. */
  const runAttempt = async (trigger: 'automatic' | 'manual', failurePlan: FailurePlan): Promise<AttemptResult> => {
    await condition(() => !attemptInFlight);
    attemptInFlight = true;
    const previous = state.status;
    try {
      const attempt = state.attempts + 1;
      // In the query state only: an attempt lasts at most 30 s, and a search-attribute upsert per attempt
      // is a visibility write that costs more than it tells (measured with npm run bench).
      state.status = 'delivering';
      const result = await attemptDelivery({ deliveryId: input.deliveryId, attempt, trigger, failurePlan });
      state.lastResult = result;
      if (result.kind === 'delivered' || result.kind === 'failed') state.attempts = attempt;
      if (result.kind === 'delivered') {
        done = true;
        setStatus('succeeded');
      } else if (result.kind === 'failed' && failurePlan.kind === 'unchanged') {
        setStatus(
          previous === 'delivering' ? 'retrying' : previous,
          state.nextAttemptAt ? new Date(state.nextAttemptAt) : undefined,
        );
      }
      return result;
    } finally {
      attemptInFlight = false;
    }
  };

  const waitWhilePaused = async (): Promise<void> => {
    const resumeTo = state.status === 'paused' || state.status === 'delivering' ? 'retrying' : state.status;
    setStatus('paused');
    await recordDeliveryStatus({ deliveryId: input.deliveryId, status: 'paused' });
    await condition(() => !state.paused || done);
    if (done) return;
    setStatus(state.attempts === 0 ? 'pending' : resumeTo);
    await recordDeliveryStatus({ deliveryId: input.deliveryId, status: state.status });
  };

  /** Sleeps until `until`, waking early for retry-now or a manual success; pauses extend the wait as needed. */
  const backoff = async (until: number): Promise<void> => {
    while (!done && !retryNow) {
      if (state.paused) {
        await waitWhilePaused();
        continue;
      }
      const remaining = until - Date.now();
      if (remaining <= 0) break;
      await condition(() => retryNow || done || state.paused, remaining);
    }
    retryNow = false;
  };

  setHandler(pauseSignal, () => {
    state.paused = true;
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
  });
  setHandler(retryNowSignal, () => {
    retryNow = true;
  });
  setHandler(cancelSignal, () => {
    cancelled = true;
    done = true;
  });
  setHandler(deliveryStateQuery, () => state);
  setHandler(redeliverUpdate, (_requestId: string) => runAttempt('manual', { kind: 'unchanged' }), {
    validator: (_requestId: string) => {
      if (done) throw new Error(`the delivery has already finished (${state.status})`);
    },
  });

  if (input.mode === 'manual') {
    await runAttempt('manual', { kind: 'unchanged' });
  } else {
    await deliverAutomatically();
  }
  if (cancelled && state.status !== 'succeeded') {
    setStatus('cancelled');
    await recordDeliveryStatus({ deliveryId: input.deliveryId, status: 'cancelled' });
  }
  await condition(allHandlersFinished);
  return { status: state.status, attempts: state.attempts, lastResult: state.lastResult };

  async function deliverAutomatically(): Promise<void> {
    for (;;) {
      if (state.paused) await waitWhilePaused();
      if (done) return;
      const scheduled = input.retrySchedule[automaticFailures];
      const plan: FailurePlan =
        scheduled === undefined ? { kind: 'final' } : { kind: 'retry', scheduledSeconds: scheduled };
      const result = await runAttempt('automatic', plan);
      if (done) return;
      switch (result.kind) {
        case 'webhook_inactive':
          // Set inactive before our pause signal could reach us: wait for the resume like any paused delivery.
          state.paused = true;
          continue;
        case 'webhook_deleted':
          setStatus('failed');
          return;
        case 'failed':
          automaticFailures++;
          if (result.retryInMs === null) {
            setStatus('failed');
            return;
          }
          setStatus('retrying', new Date(Date.now() + result.retryInMs));
          await backoff(Date.now() + result.retryInMs);
          continue;
        case 'delivered':
          return;
      }
    }
  }
}
