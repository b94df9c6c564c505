/**
 * One attempt of a delivery, in stages: load → claim → build the request → send → classify → record. The
 * claim decides which try may POST attempt N, and it carries a lease: the try's send deadline plus a margin
 * to record the outcome. A later try that finds the claim still open does not send again: it waits for the
 * claimant's outcome until the lease ends, and only then closes attempt N as `interrupted` (the claimant
 * stopped; the receiver may have got it), and the workflow retries under N+1. The outcome is written only while
 * the try still holds its claim, so a stale try can never overwrite what a newer one recorded.
 *
 * Two kinds of try. A regular activity runs under a heartbeat (a worker that stops anywhere is noticed in
 * seconds) and a cancelled or timed-out one aborts its request. A local activity (the first attempt, run
 * inside the delivery's first workflow task) is cancelled with its workflow task (an eviction, a server
 * restart, a task that timed out on a busy worker) while its process lives on: it finishes the send it began
 * and records the outcome, so the retry that follows finds a result instead of an open claim.
 * A local try answers `sending` once past its budget and goes on in the worker; the workflow then waits for
 * the attempt's record with a regular try (awaitAttempt), which finds the claim and waits for its outcome.
 * The lease is what other workers go by. In the worker that holds a claim, a later try waits for the holder
 * itself, however long its outcome's write takes (a starved SQLite writer can fail for longer than the lease),
 * and the holder keeps writing past its lease for as long as the claim is still its own.
 * Every try returns facts (what was sent, what came back, or why nothing was sent): never a status or a retry
 * decision, which are the workflow's (src/delivery/fate.ts).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AttemptFacts } from '../delivery/fate';
import {
  attemptLogFields,
  classifyOutcome,
  outcomeOfRecord,
  recordedOutcome,
  type ClassifiedOutcome,
} from '../delivery/outcome';
import { activeHold, endpointHoldOf } from '../delivery/endpoint-hold';
import { lateToleranceMs } from '../delivery/gate';
import { buildDeliveryHeaders, redactHeaders } from '../delivery/request';
import { attemptId, type AttemptOutcomeFields } from '../store/delivery-repository';
import { flowSettingsOf, type AttemptRecord, type EndpointHold, type WebhookRecord } from '../store/model';
import { liveSigningSecrets, openAuth } from '../webhooks/webhook-secrets';
import {
  deliveredState,
  type RecordDeliveryStateInput,
  type SendAttemptInput,
  type SendAttemptResult,
} from '../workflows/contracts';
import { isTestEventKey } from '../ids';
import { StoreClock } from '../store/store-clock';
import type { ActivityDeps } from './deps';

const HEARTBEAT_EVERY_MS = 2_000;
/** How often the record stage retries a store that does not answer, while the try is still alive. */
const RECORD_RETRY_MS = 1_000;
/** A claim's lease beyond the send deadline: time to record the outcome (a store restart takes seconds). */
const LEASE_MARGIN_MS = 45_000;
/** How often a try that found another's open claim looks for its outcome. */
const CLAIM_POLL_MS = 250;
/** How long past its lease a living try goes on writing its outcome (while no other try closed its claim). */
const RECORD_PAST_LEASE_MS = 10 * 60_000;

/** What a try knows of itself: its number, its own claim ID, and whether its sending may be cut short. */
interface Try {
  number: number;
  claimId: string;
  /** Aborts the try's own waits and (for a regular activity) its request. */
  signal: AbortSignal;
  /** What the request and the record stage obey: a local try's never aborts (see the module comment). */
  sendSignal: AbortSignal;
}

interface Loaded {
  webhook: WebhookRecord;
  /** The endpoint's hold as the attempt found it (a success after it releases that one). */
  hold: EndpointHold | undefined;
  body: string;
}

/**
 * The attempt activities of one worker. `recordState` is the workflow's state write (control.ts), which a first
 * attempt that delivers carries out with the record the workflow prepared.
 */
export function createSendAttempt(
  deps: ActivityDeps,
  recordState?: (input: RecordDeliveryStateInput) => Promise<boolean>,
) {
  const now = (): Date => deps.now?.() ?? new Date();
  const log = deps.logger.child({ module: 'send-attempt' });
  const leaseMarginMs = deps.leaseMarginMs ?? LEASE_MARGIN_MS;
  const leaseMs = deps.sendTimeoutMs + leaseMarginMs;
  // Leases are written and compared in the store's time, not this worker's (a fast clock would close an
  // attempt still being sent): docs/operations.md, "Clocks".
  const clock = new StoreClock(() => deps.store.serverTime(), now, deps.clockRefreshMs);
  /** Claims held by tries of this worker, by attempt ID: what each will say once sent and recorded. */
  const held = new Map<string, { claimId: string; facts: Promise<AttemptFacts | undefined> }>();

  /** A regular try: the attempt's facts, waiting out another try's open claim on the same number. */
  function sendAttempt(input: SendAttemptInput): Promise<AttemptFacts> {
    return attemptOnce(input);
  }

  /**
   * A local try (the first attempt, inside the workflow task): its facts, or `sending` once past its budget,
   * so no workflow task is held by a slow endpoint. The attempt goes on here and records its outcome.
   */
  async function sendFirstAttempt(input: SendAttemptInput): Promise<SendAttemptResult> {
    if (input.localBudgetMs === undefined) return attemptOnce(input);
    const budgetMs = input.localBudgetMs;
    let timer: NodeJS.Timeout | undefined;
    let startBudget = (): void => undefined;
    // The budget counts from the POST: a slow receiver must not hold the workflow task; a busy store (the
    // claim, the reads) holds it as any local activity would, rather than add an activity task per delivery.
    const budget = new Promise<SendAttemptResult>((resolve) => {
      startBudget = () => {
        timer = setTimeout(() => resolve({ kind: 'sending', attempt: input.attempt }), budgetMs);
      };
    });
    const work = attemptOnce(input, () => startBudget());
    try {
      const result = await Promise.race([work, budget]);
      if (result.kind !== 'sent' || !result.delivered || !input.recordOnDelivery || !recordState) return result;
      await recordState(deliveredState(input.recordOnDelivery, result));
      return { ...result, stateRecorded: true };
    } finally {
      clearTimeout(timer);
      work.catch((err: unknown) =>
        log.warn({ err, deliveryId: input.deliveryId }, 'a first attempt left to finish failed'),
      );
    }
  }

  /**
   * The attempt a local try left `sending` (past its budget): its record once done. Found before anything
   * else (the webhook may have been paused since it was sent); made here only if that try never claimed it.
   */
  async function awaitAttempt(input: SendAttemptInput): Promise<AttemptFacts> {
    return underHeartbeat(async (attemptTry) => {
      // Usually the local try is still going in this very worker: its own result, without polling the store
      // (which a saturated store cannot afford for every slow first attempt of a big fan-out).
      const local = held.get(attemptId(input.deliveryId, input.attempt));
      const mine = local ? await heldFacts(local.facts, attemptTry.signal) : undefined;
      return mine ?? (await factsOfClaim(input, attemptTry)) ?? attemptLoop(input, attemptTry);
    });
  }

  return { sendAttempt, sendFirstAttempt, awaitAttempt };

  function attemptOnce(input: SendAttemptInput, onSend?: () => void): Promise<AttemptFacts> {
    // A retried try looks for an earlier try's claim first: it may have sent before the webhook was paused.
    return underHeartbeat(
      async (attemptTry) =>
        (attemptTry.number > 1 ? await factsOfClaim(input, attemptTry, onSend) : undefined) ??
        attemptLoop(input, attemptTry, onSend),
    );
  }

  /**
   * A permit's attempt starts when the permit comes, seconds ahead of its instant (on the paced task queue, so a
   * backlog of unlimited deliveries cannot make it late), and claims at once: however slow the store, its reads
   * and the claim are behind it when the instant comes, and only the wait in memory stands before the POST. The
   * claim's lease covers that wait.
   */
  function permitWaitMs(input: SendAttemptInput): number {
    return Math.max(0, (input.permit?.notBefore ?? 0) - now().getTime());
  }

  /**
   * The outcome of this attempt number's claim, when a try claimed it (an open one is waited out). `onWait`
   * starts a local try's budget: waiting on a claim may take as long as a send.
   */
  async function factsOfClaim(
    input: SendAttemptInput,
    attemptTry: Try,
    onWait?: () => void,
  ): Promise<AttemptFacts | undefined> {
    const existing = await deps.store.deliveries.findAttempt(input.deliveryId, input.attempt);
    if (!existing) return undefined;
    onWait?.();
    return resultOfExisting(input, existing, attemptTry.signal);
  }

  /** Again from the webhook's status when the claim we waited on was withdrawn (its claimant saw a pause). */
  async function attemptLoop(input: SendAttemptInput, attemptTry: Try, onSend?: () => void): Promise<AttemptFacts> {
    for (;;) {
      const result = await claimAndSend(input, attemptTry, onSend);
      if (result) return result;
    }
  }

  async function claimAndSend(
    input: SendAttemptInput,
    attemptTry: Try,
    onSend?: () => void,
  ): Promise<AttemptFacts | undefined> {
    const answeredBefore = await requestAnsweredBefore(input, attemptTry);
    if (answeredBefore) return answeredBefore;
    const loaded = await load(input);
    // Paused or deleted now, but another try of this number may have sent before that: its record answers.
    if ('kind' in loaded) return (await factsOfClaim(input, attemptTry)) ?? loaded;
    const startedAt = now();
    // Built before the claim: a request that cannot be built (a secret that does not open) leaves no claim.
    const headers = buildRequest(input, loaded, startedAt);
    // Cancelled before its POST began (a local try's workflow task gone, an operator's cancel): send nothing.
    attemptTry.signal.throwIfAborted();
    const leaseUntil = new Date((await clock.now()).getTime() + leaseMs + permitWaitMs(input));
    const claimed = await deps.store.deliveries.claimAttempt({
      ...attemptBase(input, loaded.webhook, startedAt),
      state: 'sending',
      claimedByTry: attemptTry.number,
      claimId: attemptTry.claimId,
      leaseUntil,
      delivered: false,
      requestHeaders: {},
      durationMs: 0,
    });
    if (claimed) {
      onSend?.();
      return resultOfExisting(input, claimed, attemptTry.signal);
    }
    // The pause boundary: a PATCH inactive stored before this read stops the attempt; one stored after it
    // finds the attempt already `sending` (README: what pausing guarantees).
    const withdrawn = await withdrawIfPaused(input, attemptTry);
    if (withdrawn) return withdrawn;

    onSend?.();
    return holding(input, attemptTry.claimId, sendClaimed(input, attemptTry, loaded, headers, leaseUntil));
  }

  /** Keeps a claim's coming facts where later tries of this worker look before they go by its lease. */
  async function holding(input: SendAttemptInput, claimId: string, facts: Promise<AttemptFacts | undefined>) {
    const key = attemptId(input.deliveryId, input.attempt);
    held.set(key, { claimId, facts });
    try {
      return await facts;
    } finally {
      if (held.get(key)?.claimId === claimId) held.delete(key);
    }
  }

  /** Stages 4 to 6 for a claim this try holds: the POST, its classification and its record. */
  async function sendClaimed(
    input: SendAttemptInput,
    attemptTry: Try,
    loaded: Loaded,
    headers: Record<string, string>,
    leaseUntil: Date,
  ): Promise<AttemptFacts | undefined> {
    const claimedAheadMs = (input.permit?.notBefore ?? 0) - now().getTime();
    // The store's clock is read before the wait: after a permit's lateness check nothing may wait (its refresh is
    // a round trip to the store, and attempts queued behind one went together when it answered).
    const storeAheadMs = (await clock.now()).getTime() - now().getTime();
    const late = await awaitPermit(input, loaded.webhook);
    if (late) {
      await deps.store.deliveries.withdrawAttempt(input.deliveryId, input.attempt, attemptTry.claimId);
      // Where the lead went: to the attempt's scheduling (the permit's signal and the delivery's workflow task)
      // or to its claim.
      log.info(
        { deliveryId: input.deliveryId, attempt: input.attempt, lateMs: late, ...leadOf(input, claimedAheadMs) },
        'permit late: not sent',
      );
      return { kind: 'permit_late' };
    }
    const sent = await deps.sender.send({
      url: loaded.webhook.url,
      headers,
      body: loaded.body,
      signal: attemptTry.sendSignal,
      // Its full timeout, unless a claim write slower than that left too little of the lease to record in.
      timeoutMs: Math.min(
        deps.sendTimeoutMs,
        leaseUntil.getTime() - (now().getTime() + storeAheadMs) - Math.floor(leaseMarginMs / 3),
      ),
    });
    const finishedAt = now();
    const outcome = classifyOutcome(sent, finishedAt);
    log.info(attemptLogFields(input.deliveryId, input.attempt, outcome), 'delivery attempt');
    await holdOrRelease(loaded, outcome, finishedAt, input);
    const recorded = await record(input, attemptTry, leaseUntil, {
      requestHeaders: redactHeaders(headers, loaded.webhook.auth),
      ...recordedOutcome(sent, outcome),
      createdAt: finishedAt,
    });
    // Another try closed this attempt while we were stopped: ours is stale, and its result is not ours to give.
    if (!recorded) return resultOfExisting(input, await mustFind(input), attemptTry.signal);
    deps.outcomes?.attemptRecorded(outcome);
    return factsOf(input, outcome, finishedAt);
  }

  /** A redelivery request an earlier attempt (of an earlier run) answered: that attempt's facts, nothing sent. */
  async function requestAnsweredBefore(input: SendAttemptInput, attemptTry: Try): Promise<AttemptFacts | undefined> {
    if (!input.requestId) return undefined;
    const earlier = await deps.store.deliveries.findAttemptForRequest(input.deliveryId, input.requestId);
    if (!earlier || earlier.attempt === input.attempt) return undefined;
    const facts = await resultOfExisting({ ...input, attempt: earlier.attempt }, earlier, attemptTry.signal);
    return facts?.kind === 'sent' ? { ...facts, kind: 'answered_before' } : undefined;
  }

  /** Stage 1: the webhook and the stored body. A missing or inactive webhook sends nothing (a test event goes anyway). */
  async function load(input: SendAttemptInput): Promise<Loaded | AttemptFacts> {
    // The endpoint's hold beside its record, read at once: what the engine writes is kept apart (EndpointState).
    const [webhook, storedHold] = await Promise.all([
      deps.store.webhooks.findById(input.webhookId),
      deps.store.endpointStates.findHold(input.webhookId),
    ]);
    if (!webhook) return { kind: 'webhook_deleted' };
    const stopped = stoppedBy(input, webhook);
    if (stopped) return stopped;
    const held = heldBy(input, activeHold(storedHold, now()));
    if (held) return held;
    // A webhook with flow settings: an automatic attempt goes only with its gate's permit.
    if (input.trigger === 'automatic' && !input.permit && !isTestEventKey(input.eventKey) && flowSettingsOf(webhook)) {
      return { kind: 'gated' };
    }
    // Only a just-published event's first attempt may send from memory: an erasure waits for those to end.
    const cached = input.justPublished ? deps.bodies?.get(input.eventKey) : undefined;
    if (cached !== undefined) return { webhook, hold: storedHold, body: cached };
    const event = await deps.store.events.findByKey(input.eventKey);
    if (event?.payloadErasedAt) return { kind: 'payload_erased' };
    if (event?.body === undefined) {
      throw ApplicationFailure.nonRetryable(`event ${input.eventKey} has no stored body`, 'EventBodyMissing');
    }
    deps.bodies?.set(input.eventKey, event.body);
    return { webhook, hold: storedHold, body: event.body };
  }

  /** The endpoint's hold, for an automatic attempt (a person's redelivery and a test event go anyway). */
  function heldBy(input: SendAttemptInput, hold: EndpointHold | undefined): AttemptFacts | undefined {
    if (input.trigger !== 'automatic' || isTestEventKey(input.eventKey)) return undefined;
    if (!hold) return undefined;
    deps.outcomes?.attemptHeld();
    return { kind: 'endpoint_held', until: hold.until.getTime(), reason: hold.reason, askedSeconds: hold.askedSeconds };
  }

  /**
   * What an answer asks of the whole endpoint: a 429 (or a 503 with Retry-After) holds its other deliveries; the
   * first success after a hold lets them through. Best effort: the attempt's own outcome is recorded either way.
   */
  async function holdOrRelease(
    loaded: Loaded,
    outcome: ClassifiedOutcome,
    at: Date,
    input: SendAttemptInput,
  ): Promise<void> {
    const { webhook } = loaded;
    try {
      // A down endpoint holds the others only after an automatic attempt of a real event (its schedule's delay).
      const scheduled = input.trigger === 'automatic' && !isTestEventKey(input.eventKey);
      const hold = endpointHoldOf(outcome, deps.retryPolicy, at, scheduled ? input.failureDelaySeconds : undefined);
      if (hold && (await deps.store.endpointStates.hold(webhook, hold))) {
        log.info({ webhookId: webhook._id, until: hold.until, reason: hold.reason }, 'endpoint held');
        deps.outcomes?.endpointHeld(hold.reason);
      } else if (outcome.delivered && loaded.hold) {
        await deps.store.endpointStates.release(webhook._id, loaded.hold);
      }
    } catch (err) {
      log.warn({ err, webhookId: webhook._id }, 'the endpoint hold could not be stored');
    }
  }

  /**
   * A permit's POST waits for its instant, here, after the claim: nothing slow stands between it and the
   * request. Later than the rate allows (the permit's maxLateMs, else lateToleranceMs), it is not sent (ms late
   * answered), so no one-second window at the receiver holds more than perSecond + burst.
   */
  async function awaitPermit(input: SendAttemptInput, webhook: WebhookRecord): Promise<number | undefined> {
    if (!input.permit) return undefined;
    const wait = input.permit.notBefore - now().getTime();
    if (wait > 0) await sleep(wait);
    const rate = webhook.rateLimit;
    if (!rate) return undefined;
    const lateMs = now().getTime() - input.permit.notBefore;
    return lateMs > (input.permit.maxLateMs ?? lateToleranceMs(rate)) ? lateMs : undefined;
  }

  /** Why this attempt may not be sent to the webhook as it is now, if it may not. */
  function stoppedBy(input: SendAttemptInput, webhook: WebhookRecord | null): AttemptFacts | undefined {
    if (!webhook) return { kind: 'webhook_deleted' };
    if (webhook.status === 'active' || isTestEventKey(input.eventKey)) return undefined;
    return { kind: 'webhook_inactive', statusVersion: webhook.statusVersion ?? 0 };
  }

  /**
   * Stage 2b: the webhook's status read again once the claim is stored. Paused (or deleted) in between: the
   * claim is taken back, nothing is sent, and the number stays free for the attempt made after a resume. A
   * test event goes to an inactive webhook, but not to a deleted one (its tenant may be being erased).
   */
  async function withdrawIfPaused(input: SendAttemptInput, attemptTry: Try): Promise<AttemptFacts | undefined> {
    const stopped = stoppedBy(input, await deps.store.webhooks.findById(input.webhookId));
    if (!stopped) return undefined;
    await deps.store.deliveries.withdrawAttempt(input.deliveryId, input.attempt, attemptTry.claimId);
    log.info({ deliveryId: input.deliveryId, attempt: input.attempt }, 'attempt withdrawn: the webhook was paused');
    return stopped;
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
   * Stage 6: the outcome (`createdAt`: when the answer came back), written only while this try holds the
   * claim. A store that does not answer is retried, past the lease while no other try closed the claim:
   * failing the try would leave a sent attempt to be closed as interrupted.
   */
  async function record(
    input: SendAttemptInput,
    attemptTry: Try,
    leaseUntil: Date,
    outcome: AttemptOutcomeFields,
  ): Promise<boolean> {
    for (;;) {
      try {
        return await deps.store.deliveries.completeAttempt(
          input.deliveryId,
          input.attempt,
          attemptTry.claimId,
          outcome,
        );
      } catch (err) {
        // A cancelled (timed-out) regular try stops here, and any try RECORD_PAST_LEASE_MS past its lease: a
        // later try closes the attempt as interrupted.
        attemptTry.sendSignal.throwIfAborted();
        // Past its lease another worker's try may close the claim; until one does, this write can still land.
        if ((await clock.now()).getTime() >= leaseUntil.getTime() + RECORD_PAST_LEASE_MS) throw err;
        log.warn(
          { err, deliveryId: input.deliveryId, attempt: input.attempt },
          'recording the attempt failed; retrying',
        );
        await sleep(RECORD_RETRY_MS);
      }
    }
  }

  /**
   * An attempt another try claimed: its outcome once done. While it is `sending` under a live lease, its
   * claimant may still be sending or recording: wait for it. A lease that ends with the attempt still open
   * means the claimant stopped: close the attempt as interrupted (it is never sent again under its number).
   */
  async function resultOfExisting(
    input: SendAttemptInput,
    existing: AttemptRecord,
    signal: AbortSignal,
  ): Promise<AttemptFacts | undefined> {
    let current: AttemptRecord | null = existing;
    // Its holder is a try of this worker, so alive: its own result, whatever the lease says.
    const holder = held.get(existing._id);
    if (current.state === 'sending' && holder && holder.claimId === current.claimId) {
      const facts = await heldFacts(holder.facts, signal);
      if (facts) return facts;
      current = await deps.store.deliveries.findAttempt(input.deliveryId, input.attempt);
      if (!current) return undefined;
    }
    while (current.state === 'sending' && current.leaseUntil && (await clock.now()) < current.leaseUntil) {
      await sleep(CLAIM_POLL_MS);
      signal.throwIfAborted();
      current = await deps.store.deliveries.findAttempt(input.deliveryId, input.attempt);
      // Withdrawn: its claimant read the webhook paused and sent nothing; the number is free again.
      if (!current) return undefined;
    }
    if (current.state === 'sending') {
      if (await deps.store.deliveries.interruptAttempt(input.deliveryId, input.attempt, await clock.now())) {
        log.warn({ deliveryId: input.deliveryId, attempt: input.attempt }, 'attempt interrupted: not sent again');
      }
      current = await mustFind(input);
    }
    return factsOf(input, outcomeOfRecord(current), current.createdAt);
  }

  async function mustFind(input: SendAttemptInput): Promise<AttemptRecord> {
    const found = await deps.store.deliveries.findAttempt(input.deliveryId, input.attempt);
    if (!found) throw new Error(`attempt ${attemptId(input.deliveryId, input.attempt)} vanished`);
    return found;
  }

  /** Stage 5 (classify) ends here: what was sent and what came back, for the workflow to decide on. */
  function factsOf(input: SendAttemptInput, outcome: ClassifiedOutcome, at: Date): AttemptFacts {
    return {
      kind: 'sent',
      at: at.getTime(),
      attempt: input.attempt,
      delivered: outcome.delivered,
      statusCode: outcome.statusCode,
      errorClass: outcome.errorClass,
      error: outcome.error,
      durationMs: outcome.durationMs,
      retryAfterSeconds: outcome.retryAfterSeconds,
      timedOut: outcome.timedOut,
      retryable: outcome.retryable,
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a claim's holder in this worker comes to (undefined if it failed), waited for only while the waiting
 * try lives: a try cancelled or timed out stops waiting, and its retry waits again.
 */
async function heldFacts(
  facts: Promise<AttemptFacts | undefined>,
  signal: AbortSignal,
): Promise<AttemptFacts | undefined> {
  signal.throwIfAborted();
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([facts.catch(() => undefined), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** How far ahead of a permit's instant its attempt was scheduled, and was when its claim was made (ms). */
function leadOf(input: SendAttemptInput, claimedAheadMs: number): Record<string, number> {
  const notBefore = input.permit?.notBefore ?? 0;
  try {
    return { scheduledAheadMs: notBefore - Context.current().info.currentAttemptScheduledTimestampMs, claimedAheadMs };
  } catch {
    return { claimedAheadMs };
  }
}

/**
 * Runs `work` as one try (named for its regular case): a regular activity with a heartbeat every 2 s; a local one (which has no heartbeat
 * of its own: the SDK keeps its workflow task alive instead) with a send that its cancellation does not cut.
 * Outside an activity (a unit test) it runs as try 1 with signals that never abort.
 */
async function underHeartbeat<T>(work: (attemptTry: Try) => Promise<T>): Promise<T> {
  const claimId = randomUUID();
  let context: Context;
  try {
    context = Context.current();
  } catch {
    const never = new AbortController().signal;
    return work({ number: 1, claimId, signal: never, sendSignal: never });
  }
  const signal = context.cancellationSignal;
  const number = context.info.attempt;
  if (context.info.isLocal) return work({ number, claimId, signal, sendSignal: new AbortController().signal });
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work({ number, claimId, signal, sendSignal: signal });
  } finally {
    clearInterval(timer);
  }
}
