/**
 * A delivery's fate as one pure state machine: `step(fate, message, env)` → the next fate and the commands the
 * workflow carries out. Everything that can happen to a delivery is a message here (an attempt's facts, a
 * webhook status version, retry-now, a redelivery request, recover, cancel, a timer); nothing else decides its
 * status, its attempt numbers or when it retries. No I/O, no clock, no randomness of its own: the workflow
 * passes the time and a random source, and carries the fate through continue-as-new. docs/architecture.md
 * draws the states.
 */
import { ERASED_REASON, TERMINAL_DELIVERY_STATUSES, type DeliveryStatus, type WebhookStatus } from '../store/model';

export { ERASED_REASON };
import { retryDelayMs, type RetryPolicy } from './retry-policy';

export type Trigger = 'automatic' | 'manual';

/** What one attempt's activity found: facts only, never a status or a retry decision. */
export type AttemptFacts =
  | ({ kind: 'sent' } & SentFacts)
  /** A redelivery request answered before (by an earlier run): its attempt, nothing sent now. */
  | ({ kind: 'answered_before' } & SentFacts)
  /** The webhook was inactive when the attempt was about to be sent (at this status version): nothing sent. */
  | { kind: 'webhook_inactive'; statusVersion: number }
  | { kind: 'webhook_deleted' }
  /** The event's payload was erased (DELETE /v1/events/{id}/payload): nothing sent, nothing ever will be. */
  | { kind: 'payload_erased' }
  /** The endpoint asked every sender to wait (429, or 503 with Retry-After) until `until` (ms): nothing sent. */
  | ({ kind: 'endpoint_held' } & HeldBy)
  /** The webhook has flow settings and the attempt had no permit from its gate: nothing sent. */
  | { kind: 'gated' }
  /** The permit's instant had passed by more than the rate allows when the POST could go: nothing sent. */
  | { kind: 'permit_late' };

/** Why an automatic attempt waits for its endpoint: until when (ms), what asked, and for how long. */
export interface HeldBy {
  until: number;
  reason: string;
  askedSeconds: number;
}

export interface SentFacts {
  attempt: number;
  delivered: boolean;
  statusCode?: number;
  errorClass?: string;
  error?: string;
  durationMs: number;
  retryAfterSeconds?: number;
  timedOut: boolean;
  /** False for a blocked destination: it will be blocked again. */
  retryable: boolean;
  /** ms: when its outcome came back (absent: the record keeps when the workflow learned it). */
  at?: number;
}

/** What a redelivery request is answered. */
export type RedeliveryAnswer =
  | { kind: 'delivered'; attempt: number; statusCode: number; durationMs: number }
  | { kind: 'failed'; attempt: number; statusCode?: number; errorClass: string; error: string; durationMs: number }
  /** The same request's attempt is still being sent (only the API says this: the workflow waits for it). */
  | { kind: 'in_progress'; attempt: number }
  | { kind: 'webhook_inactive' }
  | { kind: 'webhook_deleted' }
  /** The event's payload was erased: there is nothing left to send. */
  | { kind: 'payload_erased' };

export interface InFlight {
  attempt: number;
  trigger: Trigger;
  requestId?: string;
  /** The gate's permit it was sent under, given back when it ends (unless the gate keeps no count of it). */
  permitId?: string;
  permitUnreleased?: boolean;
}

/** A permit from the webhook's gate, not yet used. */
export interface HeldPermit {
  id: string;
  notBefore: number;
  /** How late after notBefore its POST may still start (the gate's word; a rate-limited permit only). */
  maxLateMs?: number;
  /** From a gate with a rate and nothing else: it keeps no count of its permits, so none is given back. */
  unreleased?: boolean;
}

/** Everything a run knows of its delivery: serializable, carried through continue-as-new. */
export interface Fate {
  status: DeliveryStatus;
  /** The highest attempt number taken (sent, or closed as interrupted). */
  attempts: number;
  /** Failed automatic attempts: the position in the retry schedule. */
  scheduleStep: number;
  /** ms: when the next automatic attempt is due (an open delivery not waiting on a pause). */
  nextAttemptAt?: number;
  /** The webhook's status as of a version; `unknown` until read or signalled. */
  webhook: { status: WebhookStatus | 'unknown'; version: number };
  inFlight?: InFlight;
  /** Redelivery requests waiting for their attempt (behind the one in flight). */
  queued: string[];
  /** Recent redelivery requests and their answers (bounded): the same request gets the same answer. */
  answered: [string, RedeliveryAnswer][];
  /** The last attempt that was sent (or closed), for the record and the details. */
  last?: SentFacts & { at: number };
  /** Why it ended without a final attempt (webhook deleted, cancelled by an operator). */
  reason?: string;
  /** A cancel asked while an attempt was in flight: applied when it ends (a success still wins). */
  cancelAsked?: string;
  pausedSince?: number;
  /** ms: when a paused delivery next re-reads its webhook, and the interval after that. */
  recheckAt?: number;
  recheckMs?: number;
  /** A read of the webhook is under way (asked by a recheck). */
  reading?: boolean;
  /** A test event: one attempt, sent whatever the webhook's status. */
  test?: boolean;
  /** Its event's payload was erased: no attempt is ever made again (an open delivery ended `failed`). */
  erased?: boolean;
  /** Its next automatic attempt waits for the endpoint's hold (cleared when an attempt is sent). */
  heldBy?: HeldBy;
  /** Its webhook has flow settings: every automatic attempt needs a permit from the webhook's gate. */
  gated?: boolean;
  /** ms: when it last asked the gate (a permit is being waited for); asked again after REASK_MS. */
  askedAt?: number;
  permit?: HeldPermit;
  /** It told the gate it finished (its ordering key is free); reset when it is re-opened. */
  gateDone?: boolean;
  /** Its last permit came unreleased (a gate with a rate only: no key to free): it finishes without telling it. */
  rateOnlyGate?: boolean;
  /** Its last permit was reached late: its next ask says so (the gate's pace counts it). */
  askLate?: boolean;
}

/**
 * A delivery that asked its gate and heard nothing for this long asks again (a gate terminated by hand, an
 * answer lost to a fault): the gate keeps every ask until it answers, so this is only the safety net.
 */
export const REASK_MS = 60_000;

export type Message =
  | { type: 'tick' }
  | { type: 'attempted'; attempt: number; facts: AttemptFacts }
  /** A status version from a signal (applied only if newer) or read from the store (applied if not older). */
  | { type: 'webhook'; status: WebhookStatus; version: number; source: 'signal' | 'read' }
  | { type: 'webhook_deleted' }
  | { type: 'retry_now' }
  | { type: 'redeliver'; requestId: string }
  /** Re-open a failed or skipped delivery with a fresh schedule. */
  | { type: 'recover' }
  | { type: 'cancel'; reason: string }
  /** The event's payload was erased: end an open delivery `failed` (`erased`) and never send again. */
  | { type: 'erase' }
  /** The gate's permit for the next automatic attempt (`ungated`: the webhook has no flow settings now). */
  | {
      type: 'permit';
      permitId: string;
      notBefore: number;
      maxLateMs?: number;
      ungated?: boolean;
      unreleased?: boolean;
    }
  /** The ask reached the gate, or found the webhook without flow settings (`ungated`: send without a permit). */
  | { type: 'gate_asked'; ungated: boolean };

export type Command =
  | { type: 'send'; attempt: number; trigger: Trigger; requestId?: string; permit?: HeldPermit }
  /** `late`: the permit before was reached late (said by every ask from this release on). */
  | { type: 'ask_gate'; late: boolean }
  /** Give a permit back (the attempt ended, or it came when it could not be used); `done`: free the key. */
  | { type: 'release_gate'; permitId?: string; done: boolean }
  | { type: 'read_webhook' }
  | { type: 'answer'; requestId: string; answer: RedeliveryAnswer }
  /** What the record shows changed: write it (the workflow is its only writer). */
  | { type: 'record' };

export interface FateEnv {
  now: number;
  random: () => number;
  /** Seconds between automatic attempts. */
  schedule: number[];
  policy: RetryPolicy;
  /** A paused delivery re-reads its webhook after `floorMs`, doubling each time up to `ceilingMs`. */
  recheck: { floorMs: number; ceilingMs: number };
}

export const TERMINAL = TERMINAL_DELIVERY_STATUSES;
/** Answers a run keeps for repeated requests; older ones are found in the store by the API. */
export const ANSWERS_KEPT = 100;
/** A deleted webhook's version: above any it could have had (JSON-safe, unlike Infinity). */
const DELETED_VERSION = Number.MAX_SAFE_INTEGER;

export function isTerminal(status: DeliveryStatus): boolean {
  return TERMINAL.includes(status);
}

/** A fresh delivery (`pending`, due now) or one re-opened from what its record says. */
export function initialFate(from: Partial<Fate> & { now: number }): Fate {
  const status = from.status ?? 'pending';
  return {
    status,
    attempts: from.attempts ?? 0,
    scheduleStep: from.scheduleStep ?? 0,
    nextAttemptAt: isTerminal(status) ? undefined : (from.nextAttemptAt ?? from.now),
    webhook: from.webhook ?? { status: 'unknown', version: -1 },
    queued: from.queued ?? [],
    answered: from.answered ?? [],
    last: from.last,
    reason: from.reason,
    test: from.test,
    erased: from.erased,
    gated: from.gated,
  };
}

/** Nothing left to do: terminal, nothing in flight or asked. */
export function isSettled(f: Fate): boolean {
  return isTerminal(f.status) && !f.inFlight && f.queued.length === 0 && !f.reading;
}

/** Whether the webhook holds this delivery (a test event is never held). */
export function isHeld(f: Fate): boolean {
  return f.webhook.status === 'inactive' && !f.test;
}

/** When the workflow must wake with a `tick` if no message comes first (undefined: only a message wakes it). */
export function wakeAt(f: Fate): number | undefined {
  if (f.inFlight || f.reading || isTerminal(f.status)) return undefined;
  if (isHeld(f)) return f.recheckAt;
  // Due, and waiting for the gate's permit: only the permit (or the re-ask) wakes it.
  if (f.askedAt !== undefined && !f.permit) return f.askedAt + REASK_MS;
  return f.nextAttemptAt;
}

/** What the record shows: written whenever any of it changes. */
export function recordOf(f: Fate) {
  return {
    status: f.status,
    attempts: f.attempts,
    scheduleStep: f.scheduleStep,
    nextAttemptAt: isTerminal(f.status) ? undefined : f.nextAttemptAt,
    lastAttemptAt: f.last?.at,
    lastStatusCode: f.last?.statusCode,
    lastError: f.reason ?? (f.last && !f.last.delivered ? (f.last.error ?? 'failed') : f.last ? '' : undefined),
  };
}
export type FateRecord = ReturnType<typeof recordOf>;

export function step(fate: Fate, message: Message, env: FateEnv): { fate: Fate; commands: Command[] } {
  const before = JSON.stringify(recordOf(fate));
  const commands: Command[] = [];
  let f = apply({ ...fate, queued: [...fate.queued], answered: [...fate.answered] }, message, env, commands);
  f = advance(f, env, commands);
  f = tellGate(f, commands);
  if (JSON.stringify(recordOf(f)) !== before) commands.push({ type: 'record' });
  return { fate: f, commands };
}

function apply(f: Fate, m: Message, env: FateEnv, out: Command[]): Fate {
  switch (m.type) {
    case 'tick':
      return f;
    case 'attempted':
      return attempted(f, m.attempt, m.facts, env, out);
    case 'webhook':
      return webhookStatus(f, m, env);
    case 'webhook_deleted':
      return cancel(
        { ...f, reading: false, webhook: { status: 'inactive', version: DELETED_VERSION } },
        'webhook was deleted',
      );
    case 'retry_now':
      if (f.status === 'retrying' && !f.inFlight && !isHeld(f)) return { ...f, nextAttemptAt: env.now };
      return f;
    case 'redeliver':
      return redeliver(f, m.requestId, out);
    case 'recover':
      if (f.erased || (f.status !== 'failed' && f.status !== 'skipped')) return f;
      return { ...f, status: 'pending', scheduleStep: 0, nextAttemptAt: env.now, reason: undefined };
    case 'cancel':
      return cancel(f, m.reason);
    case 'erase':
      return erase(f, out);
    case 'permit':
      return permitted(f, m, env, out);
    case 'gate_asked':
      return m.ungated ? { ...f, gated: false, askedAt: undefined } : f;
  }
}

/**
 * A permit is used by the automatic attempt that is due and asked for it; any other is given back at once (with
 * the key it may have come with, if the delivery has finished). Whether its gate counts permits goes by the
 * latest permit, used or not: a counted one may have come with a key, which only `done` frees.
 */
function permitted(f: Fate, m: Extract<Message, { type: 'permit' }>, env: FateEnv, out: Command[]): Fate {
  const next = { ...f, rateOnlyGate: m.unreleased === true, ...(m.ungated ? { gated: false } : {}) };
  const due = next.nextAttemptAt !== undefined && next.nextAttemptAt <= env.now;
  if (next.askedAt === undefined || next.permit || next.inFlight || isTerminal(next.status) || isHeld(next) || !due) {
    const finished = isTerminal(next.status) && !next.inFlight;
    if (!m.unreleased) out.push({ type: 'release_gate', permitId: m.permitId, done: finished });
    return isHeld(next) ? { ...next, askedAt: undefined } : next;
  }
  const permit: HeldPermit = { id: m.permitId, notBefore: m.notBefore };
  if (m.maxLateMs !== undefined) permit.maxLateMs = m.maxLateMs;
  if (m.unreleased) permit.unreleased = true;
  return { ...next, askedAt: undefined, permit };
}

/**
 * A gated delivery that has finished tells its gate once (its ordering key goes to the next), and again after
 * it is re-opened and finishes again. A permit it still holds goes back with it.
 */
function tellGate(f: Fate, out: Command[]): Fate {
  if (!f.gated && !f.permit) return f;
  const finished = isTerminal(f.status) && !f.inFlight;
  if (!finished) return f.gateDone ? { ...f, gateDone: false } : f;
  if (f.gateDone) return f;
  // A gate with a rate only holds no key of ours and lets its permits lapse: nothing to tell it, unless an ask is
  // still waiting there (it would be granted a permit, and a rate slot, for nothing).
  if (f.rateOnlyGate && f.askedAt === undefined) return { ...f, gateDone: true, permit: undefined };
  const ending = out.find((c): c is Extract<Command, { type: 'release_gate' }> => c.type === 'release_gate');
  if (ending) ending.done = true;
  else out.push({ type: 'release_gate', permitId: f.permit?.id, done: true });
  return { ...f, gateDone: true, permit: undefined, askedAt: undefined };
}

/**
 * Nothing can be sent once the payload is gone: an open delivery ends `failed` (one in flight when its attempt
 * ends, unless that attempt delivered), waiting redelivery requests are refused, and nothing re-opens it.
 */
function erase(f: Fate, out: Command[]): Fate {
  for (const id of f.queued) out.push({ type: 'answer', requestId: id, answer: { kind: 'payload_erased' } });
  const next: Fate = { ...f, erased: true, queued: [] };
  if (isTerminal(next.status) || next.inFlight) return next;
  return { ...next, status: 'failed', reason: ERASED_REASON, nextAttemptAt: undefined, cancelAsked: undefined };
}

function redeliver(f: Fate, requestId: string, out: Command[]): Fate {
  if (f.erased) {
    out.push({ type: 'answer', requestId, answer: { kind: 'payload_erased' } });
    return f;
  }
  const answered = f.answered.find(([id]) => id === requestId);
  if (answered) {
    out.push({ type: 'answer', requestId, answer: answered[1] });
    return f;
  }
  // The same request again while it waits or is sent: it gets that attempt's answer.
  if (f.inFlight?.requestId === requestId || f.queued.includes(requestId)) return f;
  return { ...f, queued: [...f.queued, requestId] };
}

/** A cancel ends an open delivery; one in flight ends when its attempt does (a success then still wins). */
function cancel(f: Fate, reason: string): Fate {
  if (isTerminal(f.status)) return f;
  if (f.inFlight) return { ...f, cancelAsked: reason };
  return { ...f, status: 'cancelled', reason, nextAttemptAt: undefined, cancelAsked: undefined };
}

function webhookStatus(f: Fate, m: Extract<Message, { type: 'webhook' }>, env: FateEnv): Fate {
  // A signal applies only when newer. What the store says at a version is the truth of that version, so a
  // read replaces an assumption (or a signal) of the same version: a read can never be ignored in a loop.
  const newer = m.source === 'read' ? m.version >= f.webhook.version : m.version > f.webhook.version;
  const next = { ...f, reading: m.source === 'read' ? false : f.reading };
  if (!newer) return m.source === 'read' ? backOffRecheck(next, env) : next;
  next.webhook = { status: m.status, version: m.version };
  if (m.status === 'active') return { ...next, recheckAt: undefined, recheckMs: undefined };
  return m.source === 'read' ? backOffRecheck(next, env) : next;
}

/** A read that found the webhook still inactive: the next one comes later (doubling, up to the ceiling). */
function backOffRecheck(f: Fate, env: FateEnv): Fate {
  if (!isHeld(f)) return f;
  const recheckMs = f.recheckMs === undefined ? env.recheck.floorMs : Math.min(f.recheckMs * 2, env.recheck.ceilingMs);
  return { ...f, recheckMs, recheckAt: env.now + recheckMs };
}

function attempted(f: Fate, attempt: number, facts: AttemptFacts, env: FateEnv, out: Command[]): Fate {
  const flight = f.inFlight;
  if (!flight || flight.attempt !== attempt) return f; // a stale report: not the attempt this run waits for
  let next: Fate = { ...f, inFlight: undefined };
  if (facts.kind === 'payload_erased') {
    if (flight.requestId) answer(next, flight.requestId, { kind: 'payload_erased' }, out);
    return erase(next, out);
  }
  if (facts.kind === 'webhook_inactive' || facts.kind === 'webhook_deleted') {
    if (flight.requestId) answer(next, flight.requestId, { kind: facts.kind }, out);
    // Nothing was sent: an erasure or a cancel asked meanwhile applies now, as it would have before the attempt.
    if (next.erased) return erase(next, out);
    if (next.cancelAsked) next = cancel(next, next.cancelAsked);
    if (facts.kind === 'webhook_deleted') return apply(next, { type: 'webhook_deleted' }, env, out);
    const read = { type: 'webhook', status: 'inactive', version: facts.statusVersion, source: 'read' } as const;
    return webhookStatus(next, read, env);
  }
  // A permit's attempt gives it back whatever it found (a late one is dropped by the gate on the next ask).
  if (flight.permitId && !flight.permitUnreleased && facts.kind !== 'permit_late') {
    out.push({ type: 'release_gate', permitId: flight.permitId, done: false });
  }
  if (facts.kind === 'gated' || facts.kind === 'permit_late') {
    // Nothing was sent: ask the gate (again); a cancel or an erasure asked meanwhile applies now.
    next = { ...next, gated: true, askedAt: undefined, ...(facts.kind === 'permit_late' ? { askLate: true } : {}) };
    if (next.erased) return erase(next, out);
    return next.cancelAsked ? cancel(next, next.cancelAsked) : next;
  }
  if (facts.kind === 'endpoint_held') return endpointHeld(next, facts, env, out);
  next.attempts = Math.max(next.attempts, facts.attempt);
  next.last = { ...facts, at: facts.at ?? env.now };
  if (flight.requestId) answer(next, flight.requestId, answerOf(facts), out);
  if (facts.delivered) {
    next = { ...next, status: 'succeeded', nextAttemptAt: undefined, reason: undefined, cancelAsked: undefined };
  } else if (flight.trigger === 'automatic' && facts.kind === 'sent') {
    next = afterAutomaticFailure(next, facts, env);
  }
  if (next.erased && !isTerminal(next.status)) return erase(next, out);
  if (next.cancelAsked) next = cancel({ ...next }, next.cancelAsked);
  return next;
}

/**
 * The endpoint holds every automatic attempt: nothing was sent, so no attempt number or retry step is used; the
 * delivery tries again once the hold ends, spread over up to a tenth of it (5 s at most) so the held ones do
 * not all arrive in the same instant.
 */
function endpointHeld(f: Fate, held: HeldBy, env: FateEnv, out: Command[]): Fate {
  if (f.erased) return erase(f, out);
  const next = f.cancelAsked ? cancel(f, f.cancelAsked) : f;
  if (isTerminal(next.status)) return next;
  const spreadMs = Math.min(5_000, Math.max(0, held.until - env.now) / 10) * env.random();
  const heldBy = { until: held.until, reason: held.reason, askedSeconds: held.askedSeconds };
  return { ...next, heldBy, nextAttemptAt: Math.max(env.now, held.until) + Math.round(spreadMs) };
}

/** The one place a retry is decided: the schedule, whether the failure is retryable, Retry-After, the floor. */
function afterAutomaticFailure(f: Fate, facts: SentFacts, env: FateEnv): Fate {
  const scheduleStep = f.scheduleStep + 1;
  const delaySeconds = env.schedule[scheduleStep - 1];
  if (delaySeconds === undefined || !facts.retryable) {
    return { ...f, scheduleStep, status: 'failed', nextAttemptAt: undefined };
  }
  const delayMs = retryDelayMs(delaySeconds, facts, env.policy, env.random);
  return { ...f, scheduleStep, status: 'retrying', nextAttemptAt: env.now + delayMs };
}

export function answerOf(facts: SentFacts): RedeliveryAnswer {
  if (facts.delivered) {
    return {
      kind: 'delivered',
      attempt: facts.attempt,
      statusCode: facts.statusCode ?? 200,
      durationMs: facts.durationMs,
    };
  }
  return {
    kind: 'failed',
    attempt: facts.attempt,
    statusCode: facts.statusCode,
    errorClass: facts.errorClass ?? 'connection',
    error: facts.error ?? 'failed',
    durationMs: facts.durationMs,
  };
}

/** Answers every waiting copy of the request and remembers the answer (bounded). */
function answer(f: Fate, requestId: string, given: RedeliveryAnswer, out: Command[]): void {
  out.push({ type: 'answer', requestId, answer: given });
  f.queued = f.queued.filter((id) => id !== requestId);
  // A refusal is not remembered: the same request may be made again once the webhook is active.
  if (given.kind !== 'delivered' && given.kind !== 'failed') return;
  const entry: [string, RedeliveryAnswer] = [requestId, given];
  f.answered = [...f.answered.filter(([id]) => id !== requestId), entry].slice(-ANSWERS_KEPT);
}

/** After any message: start the attempt that is due, or hold, or re-check a pause. One attempt at a time. */
function advance(f: Fate, env: FateEnv, out: Command[]): Fate {
  if (f.inFlight || f.reading) return f;
  let next = f;
  const requestId = next.queued[0];
  if (requestId !== undefined) {
    if (isHeld(next)) {
      for (const id of next.queued) out.push({ type: 'answer', requestId: id, answer: { kind: 'webhook_inactive' } });
      next = { ...next, queued: [] };
    } else {
      return send(next, { attempt: next.attempts + 1, trigger: 'manual', requestId }, out);
    }
  }
  if (isTerminal(next.status)) return next;
  if (isHeld(next)) return hold(next, env, out);
  if (next.status === 'paused') {
    next = { ...next, status: next.attempts === 0 ? 'pending' : 'retrying', pausedSince: undefined };
  }
  if (next.nextAttemptAt !== undefined && next.nextAttemptAt <= env.now) {
    if (next.test || !next.gated) return send(next, { attempt: next.attempts + 1, trigger: 'automatic' }, out);
    // A permit's attempt starts at once, on the paced task queue, and waits there for the permit's instant.
    const permit = next.permit;
    if (permit) {
      const flight: InFlight = { attempt: next.attempts + 1, trigger: 'automatic', permitId: permit.id };
      if (permit.unreleased) flight.permitUnreleased = true;
      out.push({ type: 'send', attempt: flight.attempt, trigger: 'automatic', permit });
      return { ...next, permit: undefined, inFlight: flight, heldBy: undefined };
    }
    if (next.askedAt === undefined || next.askedAt + REASK_MS <= env.now) {
      out.push({ type: 'ask_gate', late: next.askLate === true });
      return { ...next, askedAt: env.now, askLate: undefined };
    }
  }
  return next;
}

function send(f: Fate, flight: InFlight, out: Command[]): Fate {
  out.push({ type: 'send', ...flight });
  return { ...f, inFlight: flight, heldBy: undefined, queued: f.queued.filter((id) => id !== flight.requestId) };
}

/** Paused: record it, and re-read the webhook when the re-check is due (a lost resume costs minutes, never forever). */
function hold(f: Fate, env: FateEnv, out: Command[]): Fate {
  let next = f;
  if (next.status !== 'paused') next = { ...next, status: 'paused', pausedSince: env.now };
  if (next.recheckAt === undefined) {
    const recheckMs = next.recheckMs ?? env.recheck.floorMs;
    return { ...next, recheckMs, recheckAt: env.now + recheckMs };
  }
  if (next.recheckAt <= env.now) {
    out.push({ type: 'read_webhook' });
    return { ...next, reading: true, recheckAt: undefined };
  }
  return next;
}
