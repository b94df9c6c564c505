/**
 * One attempt of a delivery, in stages: load → claim → build the request → send → classify → record. The
 * whole of it runs under the heartbeat, so a worker that stops anywhere (not only mid-send) is noticed in
 * seconds; a cancelled or timed-out try aborts its request. The claim decides which try may POST attempt N:
 * a later try that finds the claim still open does not send again, it closes attempt N as `interrupted`, and
 * the workflow retries under N+1. The outcome is written only while the try still holds its claim, so a stale
 * try can never overwrite what a newer one recorded. Activities report outcomes; the workflow decides the
 * delivery's status.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { attemptResult, classifyOutcome, outcomeOfRecord, type ClassifiedOutcome } from '../delivery/outcome';
import { buildDeliveryHeaders, redactHeaders } from '../delivery/request';
import { retryDelayMs } from '../delivery/retry-policy';
import { attemptId, type AttemptOutcomeFields } from '../store/delivery-repository';
import type { AttemptRecord, WebhookRecord } from '../store/model';
import { liveSigningSecrets, openAuth } from '../webhooks/webhook-secrets';
import type { AttemptResult, SendAttemptInput } from '../workflows/contracts';
import type { ActivityDeps } from './deps';

const HEARTBEAT_EVERY_MS = 2_000;
/** How long the record stage keeps retrying a store that does not answer, while the try is still alive. */
const RECORD_RETRY_MS = 1_000;

interface Loaded {
  webhook: WebhookRecord;
  body: string;
}

export function createSendAttempt(deps: ActivityDeps) {
  const now = (): Date => deps.now?.() ?? new Date();
  const log = deps.logger.child({ module: 'send-attempt' });

  return async function sendAttempt(input: SendAttemptInput): Promise<AttemptResult> {
    return underHeartbeat(async (signal, tryNumber) => {
      const loaded = await load(input);
      if ('kind' in loaded) return loaded;
      const startedAt = now();
      const claimed = await deps.store.deliveries.claimAttempt({
        ...attemptBase(input, loaded.webhook, startedAt),
        state: 'sending',
        claimedByTry: tryNumber,
        delivered: false,
        requestHeaders: {},
        durationMs: 0,
      });
      if (claimed) return resultOfExisting(input, claimed);

      const headers = buildRequest(input, loaded, startedAt);
      const sent = await deps.sender.send({ url: loaded.webhook.url, headers, body: loaded.body, signal });
      const outcome = classifyOutcome(sent, now());
      log.info(
        {
          deliveryId: input.deliveryId,
          attempt: input.attempt,
          delivered: outcome.delivered,
          statusCode: outcome.statusCode,
          errorClass: outcome.errorClass,
          durationMs: outcome.durationMs,
        },
        'delivery attempt',
      );
      const recorded = await record(input, tryNumber, signal, {
        requestHeaders: redactHeaders(headers, loaded.webhook.auth),
        delivered: outcome.delivered,
        statusCode: outcome.statusCode,
        responseBody: sent.kind === 'response' ? sent.body : undefined,
        responseBodyTruncated: sent.kind === 'response' ? sent.bodyTruncated : undefined,
        durationMs: outcome.durationMs,
        errorClass: outcome.errorClass,
        error: outcome.error,
        retryAfterSeconds: outcome.retryAfterSeconds,
      });
      // Another try closed this attempt while we were stopped: ours is stale, and its result is not ours to give.
      if (!recorded) return resultOfExisting(input, await mustFind(input));
      deps.outcomes?.attemptRecorded(outcome);
      return resultOf(input, outcome);
    });
  };

  /** Stage 1: the webhook and the stored body. A missing or (for automatic attempts) inactive webhook sends nothing. */
  async function load(input: SendAttemptInput): Promise<Loaded | AttemptResult> {
    const webhook = await deps.store.webhooks.findById(input.webhookId);
    if (!webhook) return { kind: 'webhook_deleted' };
    deps.streaklessWebhooks?.observe(webhook);
    if (webhook.status !== 'active' && input.trigger === 'automatic') {
      return { kind: 'webhook_inactive', statusVersion: webhook.statusVersion ?? 0 };
    }
    const cached = deps.bodies?.get(input.eventKey);
    if (cached !== undefined) return { webhook, body: cached };
    const event = await deps.store.events.findByKey(input.eventKey);
    if (event?.body === undefined) {
      throw ApplicationFailure.nonRetryable(`event ${input.eventKey} has no stored body`, 'EventBodyMissing');
    }
    deps.bodies?.set(input.eventKey, event.body);
    return { webhook, body: event.body };
  }

  function attemptBase(input: SendAttemptInput, webhook: WebhookRecord, startedAt: Date) {
    const base: Omit<AttemptRecord, 'state' | 'claimedByTry' | 'delivered' | 'requestHeaders' | 'durationMs'> = {
      _id: attemptId(input.deliveryId, input.attempt),
      deliveryId: input.deliveryId,
      tenantId: webhook.tenantId,
      webhookId: input.webhookId,
      attempt: input.attempt,
      trigger: input.trigger,
      url: webhook.url,
      startedAt,
      createdAt: startedAt,
    };
    if (input.requestId) base.requestId = input.requestId;
    return base;
  }

  /** Stage 3: the signed request, credentials opened only here and only in memory. */
  function buildRequest(input: SendAttemptInput, loaded: Loaded, at: Date): Record<string, string> {
    return buildDeliveryHeaders({
      deliveryId: input.deliveryId,
      attempt: input.attempt,
      event: input.event,
      body: loaded.body,
      auth: openAuth(loaded.webhook.auth, deps.secrets),
      signingSecrets: liveSigningSecrets(loaded.webhook, deps.secrets, at),
      timestamp: Math.floor(at.getTime() / 1000),
    });
  }

  /**
   * Stage 6: the outcome, written only while this try holds the claim. A store that does not answer is
   * retried here, under the heartbeat: failing the try would leave a sent attempt to be closed as interrupted.
   */
  async function record(
    input: SendAttemptInput,
    tryNumber: number,
    signal: AbortSignal,
    outcome: Omit<AttemptOutcomeFields, 'createdAt'>,
  ): Promise<boolean> {
    for (;;) {
      try {
        return await deps.store.deliveries.completeAttempt(input.deliveryId, input.attempt, tryNumber, {
          ...outcome,
          createdAt: now(),
        });
      } catch (err) {
        // A cancelled (timed-out) try stops here: a later try will close the attempt as interrupted.
        signal.throwIfAborted();
        log.warn(
          { err, deliveryId: input.deliveryId, attempt: input.attempt },
          'recording the attempt failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
        signal.throwIfAborted();
      }
    }
  }

  /** An attempt another try claimed: its outcome if done; if still `sending`, that try stopped: close it. */
  async function resultOfExisting(input: SendAttemptInput, existing: AttemptRecord): Promise<AttemptResult> {
    if (existing.state === 'sending') {
      if (await deps.store.deliveries.interruptAttempt(input.deliveryId, input.attempt, now())) {
        log.warn({ deliveryId: input.deliveryId, attempt: input.attempt }, 'attempt interrupted: not sent again');
      }
      return resultOfExisting(input, await mustFind(input));
    }
    return resultOf(input, outcomeOfRecord(existing));
  }

  async function mustFind(input: SendAttemptInput): Promise<AttemptRecord> {
    const found = await deps.store.deliveries.findAttempt(input.deliveryId, input.attempt);
    if (!found) throw new Error(`attempt ${attemptId(input.deliveryId, input.attempt)} vanished`);
    return found;
  }

  /** Stage 5 (classify) ends here: the outcome as the workflow sees it, with the delay before a retry. */
  function resultOf(input: SendAttemptInput, outcome: ClassifiedOutcome): AttemptResult {
    const retryInMs =
      outcome.delivered || input.scheduledSeconds === undefined || !outcome.retryable
        ? null
        : retryDelayMs(
            input.scheduledSeconds,
            {
              statusCode: outcome.statusCode,
              timedOut: outcome.timedOut,
              retryAfterSeconds: outcome.retryAfterSeconds,
            },
            deps.retryPolicy,
          );
    return attemptResult(input.attempt, outcome, retryInMs);
  }
}

/**
 * Runs `work` with a heartbeat every 2 s and the try's cancellation signal; outside an activity (a unit test)
 * it runs with a signal that never aborts and try number 1.
 */
async function underHeartbeat<T>(work: (signal: AbortSignal, tryNumber: number) => Promise<T>): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return work(new AbortController().signal, 1);
  }
  // A local activity has no heartbeat of its own: the SDK keeps its workflow task alive instead.
  if (context.info.isLocal) return work(context.cancellationSignal, context.info.attempt);
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work(context.cancellationSignal, context.info.attempt);
  } finally {
    clearInterval(timer);
  }
}
