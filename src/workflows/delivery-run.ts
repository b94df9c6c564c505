/**
 * Drives one run of a delivery: feeds every message (signals, updates, attempt facts, timers) to the pure state
 * machine (src/delivery/fate.ts) one at a time, and carries out its commands. It decides nothing itself; it
 * is the only writer of the delivery's record and search attributes, and it continues as new, carrying the
 * fate, before its history passes the limit.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  initialFate,
  isHeld,
  isSettled,
  recordOf,
  step,
  wakeAt,
  type Command,
  type Fate,
  type FateEnv,
  type FateRecord,
  type Message,
  type RedeliveryAnswer,
} from '../delivery/fate';
import { DEFAULT_RETRY_POLICY } from '../delivery/retry-policy';
import { deliveryDetails, hostOf } from '../delivery/summary';
import type { DeliveryStatus } from '../store/model';
import {
  deliveredState,
  type DeliveryState,
  type DeliveryWorkflowInput,
  type DeliveryWorkflowResult,
  type PreparedDeliveryState,
  type RecordDeliveryStateInput,
} from './contracts';
import type { DeliveryRunActivities } from './delivery-activities';
import { gateReleaseSignal, type GateReleaseMessage, type PermitMessage } from './gate-messages';
import { gateWorkflowId } from './ids';
import { AttemptCountKey, DeliveryStatusKey, NextAttemptAtKey } from './search-attribute-keys';

/** Events a run's history may hold before it continues as new (a paused delivery's re-check writes about 6). */
export const DEFAULT_HISTORY_LIMIT = 2_000;
const DEFAULT_RECHECK_SECONDS = 300;
const DEFAULT_RECHECK_MAX_SECONDS = 3_600;
/** A first attempt runs inside the workflow task for at most this long, then goes on as `sending`. */
const LOCAL_BUDGET_MS = 2_000;
const OPERATOR_CANCEL = 'cancelled by an operator';

/** Patch ID: runs from this release on wait on timers they never cancel (wakeBy). */
const TIMERS_NEVER_CANCELLED = 'delivery-timers-never-cancelled';

export class DeliveryRun {
  private fate: Fate;
  private readonly inbox: Message[] = [];
  private readonly waiters = new Map<string, ((answer: RedeliveryAnswer) => void)[]>();
  /** The record as last written (what the store says), and its status for the outcome hooks. */
  private recorded: string;
  private recordedStatus: DeliveryStatus | undefined;
  private searchable: string;
  private recordDue = false;
  /** The record a first attempt wrote as this run prepared it: the next write is skipped when it is the same. */
  private writtenByAttempt: RecordDeliveryStateInput | undefined;
  private readDue = false;
  private sends = 0;
  /** An askGate activity is under way. */
  private asking = false;
  /** Signals to the gate not yet confirmed. */
  private signalling = 0;
  /** The time a timer that fired was set for: a tick's time is never earlier (the timer is what says it is due). */
  private notBefore = 0;
  /** When the timers already started fire (ms); none is ever cancelled. */
  private readonly timers: number[] = [];
  private failure: Error | undefined;
  private readonly eventKey: string;

  constructor(
    private readonly input: DeliveryWorkflowInput,
    private readonly activities: DeliveryRunActivities,
  ) {
    this.eventKey = `${input.tenantId}:${input.eventId}`;
    this.fate =
      input.resume ??
      initialFate({
        now: Date.now(),
        webhook: { status: 'active', version: input.webhookStatusVersion ?? -1 },
        test: input.test,
        gated: input.gated,
      });
    // A fresh run's record says what dispatch (or the resumed record) wrote: nothing to write until it changes.
    this.recorded = JSON.stringify(recordOf(this.fate));
    this.recordedStatus = input.resume ? this.fate.status : 'pending';
    this.searchable = this.searchableOf();
  }

  /** Signals, updates and the query: each only queues a message; the main loop applies them in order. */
  listen(handlers: {
    onStatus: (fn: (change: { status: 'active' | 'inactive'; version: number }) => void) => void;
    onCancel: (fn: (reason?: string) => void) => void;
    onRetryNow: (fn: () => void) => void;
    onRecover: (fn: () => void) => void;
    onErase: (fn: () => void) => void;
    onRedeliver: (fn: (requestId: string) => Promise<RedeliveryAnswer>) => void;
    onQuery: (fn: () => DeliveryState) => void;
    onPermit: (fn: (permit: PermitMessage) => void) => void;
  }): void {
    handlers.onPermit((p) => this.inbox.push({ type: 'permit', ...p }));
    handlers.onStatus((change) => this.inbox.push({ type: 'webhook', ...change, source: 'signal' }));
    handlers.onCancel((reason) => this.inbox.push({ type: 'cancel', reason: reason ?? 'webhook was deleted' }));
    handlers.onRetryNow(() => this.inbox.push({ type: 'retry_now' }));
    handlers.onRecover(() => this.inbox.push({ type: 'recover' }));
    handlers.onErase(() => this.inbox.push({ type: 'erase' }));
    handlers.onRedeliver(
      (requestId) =>
        new Promise<RedeliveryAnswer>((resolve) => {
          this.waiters.set(requestId, [...(this.waiters.get(requestId) ?? []), resolve]);
          this.inbox.push({ type: 'redeliver', requestId });
        }),
    );
    handlers.onQuery(() => this.view());
  }

  /** The run: until the delivery is settled; an operator's cancel lets the attempt in flight finish first. */
  async drive(): Promise<DeliveryWorkflowResult> {
    try {
      await this.loop();
    } catch (err) {
      if (!isCancellation(err)) throw err;
      await CancellationScope.nonCancellable(async () => {
        this.inbox.push({ type: 'cancel', reason: OPERATOR_CANCEL });
        await this.loop();
      });
      throw err;
    }
    return { status: this.fate.status, attempts: this.fate.attempts, last: this.fate.last };
  }

  private async loop(): Promise<void> {
    // The messages that came with the start (signal-with-start's cancel or recover, update-with-start's
    // redeliver) are handled before anything the clock makes due.
    await CancellationScope.nonCancellable(() => this.flush());
    this.inbox.push({ type: 'tick' });
    for (;;) {
      this.drain();
      await CancellationScope.nonCancellable(() => this.flush());
      if (this.inbox.length > 0) continue;
      if (this.done()) return;
      if (this.historyFull() && this.quiet()) await this.continueAsNew();
      const wake = wakeAt(this.fate);
      const ready = () => this.inbox.length > 0 || this.done();
      // Asked only where a timer is due: a delivery that succeeds at once records no patch marker.
      if (wake === undefined || patched(TIMERS_NEVER_CANCELLED)) {
        if (wake !== undefined) this.wakeBy(wake);
        await condition(ready);
        continue;
      }
      // Runs started before the patch: a timer per wait, cancelled when a message comes first.
      if (!(await condition(ready, Math.max(1, wake - Date.now())))) {
        this.notBefore = Math.max(this.notBefore, wake);
        this.inbox.push({ type: 'tick' });
      }
    }
  }

  /**
   * A timer that ticks at `at`, unless one already ticks by then. None is ever cancelled: a timer cancelled in
   * a workflow task that also records local activities (the record writes) tripped the SDK under load, `npm run
   * chaos` saw a run ask the server to cancel a timer it had never started (BadCancelTimerAttributes), then fail
   * every replay. A timer no longer needed ticks once and finds nothing due.
   */
  private wakeBy(at: number): void {
    if (this.timers.some((t) => t <= at)) return;
    this.timers.push(at);
    void CancellationScope.nonCancellable(() => sleep(Math.max(1, at - Date.now()))).then(() => {
      this.timers.splice(this.timers.indexOf(at), 1);
      this.notBefore = Math.max(this.notBefore, at);
      this.inbox.push({ type: 'tick' });
    });
  }

  private done(): boolean {
    return isSettled(this.fate) && allHandlersFinished() && this.signalling === 0;
  }

  private drain(): void {
    if (this.failure) throw this.failure;
    for (let m = this.inbox.shift(); m; m = this.inbox.shift()) this.feed(m);
  }

  private feed(message: Message): void {
    const { fate, commands } = step(this.fate, message, this.env());
    this.fate = fate;
    commands.forEach((c) => this.execute(c));
  }

  private execute(c: Command): void {
    switch (c.type) {
      case 'send':
        this.startSend(c);
        return;
      case 'read_webhook':
        this.readDue = true;
        return;
      case 'record':
        this.recordDue = true;
        return;
      case 'answer':
        (this.waiters.get(c.requestId) ?? []).forEach((resolve) => resolve(c.answer));
        this.waiters.delete(c.requestId);
        return;
      case 'ask_gate':
        this.askGate(c.late);
        return;
      case 'release_gate': {
        const release: GateReleaseMessage = { delivery: workflowInfo().workflowId, done: c.done };
        if (c.permitId) release.permitId = c.permitId;
        // Best effort: a gate that has ended holds nothing of ours, and a lease frees a permit never given back.
        // The run does not end before the signal is sent: a run that completes drops the signals it initiated.
        this.signalling++;
        getExternalWorkflowHandle(gateWorkflowId(this.input.webhookId))
          .signal(gateReleaseSignal, release)
          .catch(() => undefined)
          .finally(() => {
            this.signalling--;
            this.inbox.push({ type: 'tick' });
          });
      }
    }
  }

  /** Asks the gate beside the loop; the permit comes back as a signal, the answer says whether one is needed. */
  private askGate(late: boolean): void {
    const acceptedAt = this.input.eventAcceptedAt ? Date.parse(this.input.eventAcceptedAt) : 0;
    this.asking = true;
    CancellationScope.nonCancellable(() =>
      this.activities.askGate({
        webhookId: this.input.webhookId,
        tenantId: this.input.tenantId,
        delivery: workflowInfo().workflowId,
        documentId: this.input.documentId ?? this.input.eventId,
        order: [acceptedAt, this.input.eventId],
        late,
      }),
    )
      .then(
        (answer) => this.inbox.push({ type: 'gate_asked', ungated: answer.ungated }),
        (err: unknown) => {
          this.failure = err instanceof Error ? err : new Error(String(err));
          this.inbox.push({ type: 'tick' });
        },
      )
      .finally(() => (this.asking = false));
  }

  /** The attempt runs beside the loop (signals and updates go on arriving); its facts come back as a message. */
  private startSend(c: Extract<Command, { type: 'send' }>): void {
    const args = {
      deliveryId: this.input.deliveryId,
      webhookId: this.input.webhookId,
      eventKey: this.eventKey,
      event: this.input.event,
      attempt: c.attempt,
      trigger: c.trigger,
      requestId: c.requestId,
      permit: c.permit,
      failureDelaySeconds: c.trigger === 'automatic' ? this.input.retrySchedule[this.fate.scheduleStep] : undefined,
    };
    // A permit's attempt waits for its instant on the paced task queue: no workflow task and no slot of the
    // unlimited deliveries waits with it, and no backlog of theirs makes it late.
    const local = this.sends++ === 0 && c.trigger === 'automatic' && !c.permit;
    const { sendAttempt, sendPermittedAttempt, sendFirstAttempt, awaitAttempt } = this.activities;
    CancellationScope.nonCancellable(async () => {
      if (c.permit) return sendPermittedAttempt(args);
      if (!local) return sendAttempt(args);
      // Only over a record the store already has: a write still due (the same step changed the record) would
      // race the attempt's on a store whose guarded writes read then write (FerretDB).
      const recordOnDelivery = this.recordWritten() ? this.preparedOnDelivery(c.attempt) : undefined;
      const first = await sendFirstAttempt({
        ...args,
        localBudgetMs: LOCAL_BUDGET_MS,
        recordOnDelivery,
        justPublished: this.input.resume === undefined && !this.input.test,
      });
      if (first.kind === 'sending') return awaitAttempt(args);
      const { stateRecorded, ...facts } = first;
      if (stateRecorded && recordOnDelivery && facts.kind === 'sent') {
        this.writtenByAttempt = deliveredState(recordOnDelivery, facts);
      }
      return facts;
    }).then(
      (facts) => this.inbox.push({ type: 'attempted', attempt: c.attempt, facts }),
      (err: unknown) => {
        this.failure = err instanceof Error ? err : new Error(String(err));
        this.inbox.push({ type: 'tick' });
      },
    );
  }

  /** Writes the record when it changed, and makes the webhook read a paused delivery's re-check asked for. */
  private async flush(): Promise<void> {
    if (this.readDue) {
      this.readDue = false;
      const current = await this.activities.readWebhookStatus(this.input.webhookId);
      this.inbox.push(current ? { type: 'webhook', ...current, source: 'read' } : { type: 'webhook_deleted' });
    }
    this.showDetails();
    if (!this.recordDue) return;
    this.recordDue = false;
    await this.writeRecord();
  }

  /** Whether the store has the record the fate shows (nothing left to write). */
  private recordWritten(): boolean {
    return JSON.stringify(recordOf(this.fate)) === this.recorded;
  }

  /** The record this run would write if attempt `attempt` (in flight) delivers, less its time and status code. */
  private preparedOnDelivery(attempt: number): PreparedDeliveryState {
    const delivered = {
      kind: 'sent',
      attempt,
      delivered: true,
      durationMs: 0,
      timedOut: false,
      retryable: true,
    } as const;
    const { fate } = step(this.fate, { type: 'attempted', attempt, facts: delivered }, this.env());
    const { lastAttemptAt: _at, lastStatusCode: _code, ...prepared } = this.stateInput(recordOf(fate));
    return prepared;
  }

  private async writeRecord(): Promise<void> {
    const record = recordOf(this.fate);
    const text = JSON.stringify(record);
    const written = this.writtenByAttempt;
    this.writtenByAttempt = undefined;
    if (text === this.recorded) return;
    const searchable = this.searchableOf();
    if (searchable !== this.searchable) {
      this.searchable = searchable;
      upsertSearchAttributes([
        { key: DeliveryStatusKey, value: record.status },
        { key: AttemptCountKey, value: record.attempts },
        { key: NextAttemptAtKey, value: record.nextAttemptAt === undefined ? null : new Date(record.nextAttemptAt) },
      ]);
    }
    const state = this.stateInput(record);
    // The first attempt already wrote this very record (it delivered, and nothing changed the fate meanwhile).
    if (!written || !sameRecord(written, state)) await this.activities.recordDeliveryState(state);
    this.recorded = text;
    this.recordedStatus = record.status;
  }

  private stateInput(record: FateRecord): RecordDeliveryStateInput {
    return {
      deliveryId: this.input.deliveryId,
      attempt: record.attempts,
      status: record.status,
      scheduleStep: record.scheduleStep,
      lastAttemptAt: record.lastAttemptAt === undefined ? undefined : new Date(record.lastAttemptAt).toISOString(),
      lastStatusCode: record.lastStatusCode,
      lastError: record.lastError,
      nextAttemptAt: record.nextAttemptAt === undefined ? null : new Date(record.nextAttemptAt).toISOString(),
      previousStatus: this.recordedStatus,
      webhookId: this.input.webhookId,
      event: this.input.event,
      eventKey: this.eventKey,
      eventAcceptedAt: this.input.eventAcceptedAt,
    };
  }

  private searchableOf(): string {
    const r = recordOf(this.fate);
    return `${r.status}|${r.attempts}|${r.nextAttemptAt ?? ''}`;
  }

  private historyFull(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.input.historyLimit ?? DEFAULT_HISTORY_LIMIT);
  }

  private quiet(): boolean {
    // Not while asking the gate: the ask's answer would be lost with this run.
    return (
      !this.fate.inFlight &&
      !this.fate.reading &&
      !this.asking &&
      this.signalling === 0 &&
      this.inbox.length === 0 &&
      allHandlersFinished()
    );
  }

  private async continueAsNew(): Promise<never> {
    return continueAsNew<(input: DeliveryWorkflowInput) => Promise<DeliveryWorkflowResult>>({
      ...this.input,
      resume: this.fate,
    });
  }

  private env(): FateEnv {
    const floor = this.input.pauseRecheckSeconds ?? DEFAULT_RECHECK_SECONDS;
    const ceiling = Math.max(floor, this.input.pauseRecheckMaxSeconds ?? DEFAULT_RECHECK_MAX_SECONDS);
    return {
      now: Math.max(Date.now(), this.notBefore),
      random: Math.random,
      schedule: this.input.retrySchedule,
      policy: this.input.retryPolicy ?? DEFAULT_RETRY_POLICY,
      recheck: { floorMs: floor * 1000, ceilingMs: ceiling * 1000 },
    };
  }

  /** What the Web UI's workflow page and list show as this delivery's current details. */
  private showDetails(): void {
    const f = this.fate;
    setCurrentDetails(
      deliveryDetails({
        status: f.status,
        host: hostOf(this.input.target ?? 'endpoint'),
        attempts: f.attempts,
        maxAttempts: f.attempts - f.scheduleStep + this.input.retrySchedule.length + 1,
        last: f.last,
        reason: f.reason,
        nextAttemptAt: f.nextAttemptAt === undefined ? undefined : new Date(f.nextAttemptAt),
        pausedSince: f.pausedSince === undefined ? undefined : new Date(f.pausedSince),
        heldBy: f.heldBy,
        waitingForTurnSince: f.askedAt === undefined ? undefined : new Date(f.askedAt),
        now: new Date(),
      }),
    );
  }

  private view(): DeliveryState {
    const f = this.fate;
    return {
      status: f.status,
      attempts: f.attempts,
      paused: isHeld(f) && !isSettled(f),
      nextAttemptAt: f.nextAttemptAt === undefined ? undefined : new Date(f.nextAttemptAt).toISOString(),
      inFlight: f.inFlight,
      last: f.last,
      webhook: f.webhook,
    };
  }
}

/** Whether two state writes put the same record in the store (who wrote it before does not matter). */
function sameRecord(a: RecordDeliveryStateInput, b: RecordDeliveryStateInput): boolean {
  const fields = [
    'attempt',
    'status',
    'scheduleStep',
    'lastAttemptAt',
    'lastStatusCode',
    'lastError',
    'nextAttemptAt',
  ] as const;
  return fields.every((field) => a[field] === b[field]);
}
