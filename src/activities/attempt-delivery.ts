/**
 * One delivery attempt: load what it needs by ID, make exactly one POST, record it exactly once, and return
 * a classified outcome. Receiver failures are results; only store or infrastructure errors throw (and are
 * retried by Temporal without counting as attempts).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { attemptLogFields, classifyOutcome, recordedOutcome } from '../delivery/outcome';
import { buildDeliveryHeaders, redactHeaders } from '../delivery/request';
import { retryDelayMs } from '../delivery/retry-policy';
import type { AttemptRecord, DeliveryRecord, DeliveryStatus, WebhookRecord } from '../store/model';
import { attemptId, type DeliveryChange } from '../store/delivery-repository';
import { liveSigningSecrets, openAuth } from '../webhooks/webhook-secrets';
import type { AttemptInput, AttemptResult, FailurePlan } from '../workflows/contracts';
import type { ActivityDeps } from './deps';

export function createAttemptDelivery(deps: ActivityDeps) {
  const now = (): Date => deps.now?.() ?? new Date();
  const log = deps.logger.child({ module: 'attempt-delivery' });

  return async function attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
    const delivery = await deps.store.deliveries.findById(input.deliveryId);
    if (!delivery)
      throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} does not exist`, 'DeliveryMissing');

    // A retry of this activity after the attempt was recorded must not send again.
    const recorded = await deps.store.deliveries.findAttempt(input.deliveryId, input.attempt);
    if (recorded) return settle(delivery, recorded, input.failurePlan);

    const webhook = await deps.store.webhooks.findById(delivery.webhookId);
    if (!webhook) {
      await deps.store.deliveries.update(
        delivery._id,
        { status: 'failed', lastError: 'webhook was deleted', nextAttemptAt: null },
        now(),
      );
      return { kind: 'webhook_deleted' };
    }
    if (
      webhook.status !== 'active' &&
      input.trigger === 'automatic' &&
      !(await stillActiveAfterPausing(delivery, webhook))
    ) {
      return { kind: 'webhook_inactive' };
    }
    const record = await send(delivery, webhook, input);
    const stored = await deps.store.deliveries.recordAttempt(record);
    return settle(delivery, stored, input.failurePlan);
  };

  /**
   * The webhook was set inactive before our pause signal could arrive. Record `paused`, then look again: a
   * resume that landed in between would otherwise find no paused delivery to signal.
   */
  async function stillActiveAfterPausing(delivery: DeliveryRecord, webhook: WebhookRecord): Promise<boolean> {
    await deps.store.deliveries.update(delivery._id, { status: 'paused' }, now());
    const again = await deps.store.webhooks.findById(webhook._id);
    return again?.status === 'active';
  }

  async function send(delivery: DeliveryRecord, webhook: WebhookRecord, input: AttemptInput): Promise<AttemptRecord> {
    const event = await deps.store.events.findByKey(delivery.eventKey);
    const body = event?.body;
    if (body === undefined) {
      throw ApplicationFailure.nonRetryable(`event ${delivery.eventKey} has no stored body`, 'EventBodyMissing');
    }
    const auth = openAuth(webhook.auth, deps.secrets);
    const headers = buildDeliveryHeaders({
      deliveryId: delivery._id,
      event: delivery.event,
      body,
      auth,
      signingSecrets: liveSigningSecrets(webhook, deps.secrets, now()),
      timestamp: Math.floor(now().getTime() / 1000),
    });
    const startedAt = now();
    const result = await whileHeartbeating(() => deps.sender.send({ url: webhook.url, headers, body }));
    const outcome = classifyOutcome(result, now());
    log.info(attemptLogFields(delivery._id, input.attempt, outcome), 'delivery attempt');
    return {
      _id: attemptId(delivery._id, input.attempt),
      deliveryId: delivery._id,
      tenantId: delivery.tenantId,
      webhookId: delivery.webhookId,
      attempt: input.attempt,
      trigger: input.trigger,
      url: webhook.url,
      requestHeaders: redactHeaders(headers, webhook.auth),
      ...recordedOutcome(result, outcome),
      startedAt,
      createdAt: now(),
    };
  }

  /** Turns the recorded attempt into the workflow's result and the delivery's new state. */
  async function settle(delivery: DeliveryRecord, attempt: AttemptRecord, plan: FailurePlan): Promise<AttemptResult> {
    const at = now();
    const base: DeliveryChange = {
      attemptCount: Math.max(delivery.attemptCount, attempt.attempt),
      lastAttemptAt: attempt.startedAt,
      lastStatusCode: attempt.statusCode,
      lastError: attempt.error,
    };
    if (attempt.delivered) {
      await deps.store.deliveries.update(
        delivery._id,
        { ...base, status: 'succeeded', lastError: '', nextAttemptAt: null },
        at,
      );
      return {
        kind: 'delivered',
        attempt: attempt.attempt,
        statusCode: attempt.statusCode ?? 200,
        durationMs: attempt.durationMs,
      };
    }
    const retryable = attempt.errorClass !== 'blocked';
    let retryInMs: number | null = null;
    let status: DeliveryStatus | undefined;
    if (plan.kind === 'retry' && retryable) {
      retryInMs = retryDelayMs(
        plan.scheduledSeconds,
        {
          statusCode: attempt.statusCode,
          timedOut: attempt.errorClass === 'timeout',
          retryAfterSeconds: attempt.retryAfterSeconds,
        },
        deps.retryPolicy,
      );
      status = 'retrying';
    } else if (plan.kind === 'final' || (plan.kind === 'retry' && !retryable)) {
      status = 'failed';
    }
    await deps.store.deliveries.update(
      delivery._id,
      {
        ...base,
        status,
        nextAttemptAt: retryInMs === null ? (status ? null : undefined) : new Date(at.getTime() + retryInMs),
      },
      at,
    );
    return {
      kind: 'failed',
      attempt: attempt.attempt,
      statusCode: attempt.statusCode,
      errorClass: attempt.errorClass ?? 'connection',
      error: attempt.error ?? 'failed',
      durationMs: attempt.durationMs,
      retryInMs,
    };
  }
}

/** Heartbeats every 2 s while `work` runs (outside an activity, e.g. in a unit test, it just runs `work`). */
async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return work();
  }
  const timer = setInterval(() => context?.heartbeat(), 2_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
