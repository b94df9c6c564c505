/**
 * What happens besides the store when an attempt or a delivery's state is recorded: the worker's metrics and
 * the auto-disable streak. The activities call these hooks after their conditional writes, so a retried
 * activity does not count twice:
 *
 * - an attempt is counted by the try whose outcome write held the claim (at most once per attempt number);
 * - a delivery's state is acted on only when the write changed its status (the record before the write is
 *   compared), so a repeated recordDeliveryState of the same state counts nothing. A worker that stops
 *   between the write and the hook loses that one count: we undercount rather than double-count.
 *
 * Hooks never fail the activity: a store or Temporal hiccup here is logged, the delivery goes on.
 */
import type { Logger } from '../logger';
import type { Store } from '../store';
import type { AttemptErrorClass, DeliveryRecord, DeliveryStatus } from '../store/model';
import { attemptResultClass, type WorkerMetrics } from '../metrics/metrics';
import type { AutoDisable } from './auto-disable';

/** What the hooks need of a delivery and the status it had before this write. */
export type DeliveryFacts = Pick<DeliveryRecord, '_id' | 'webhookId' | 'event' | 'eventKey' | 'status'> &
  Partial<Pick<DeliveryRecord, 'eventAcceptedAt' | 'lastError'>>;

const FINISHED: DeliveryStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface DeliveryOutcomesDeps {
  store: Store;
  logger: Logger;
  metrics?: WorkerMetrics;
  autoDisable?: AutoDisable;
  /** Webhooks this worker knows have no failure streak (see StreaklessWebhooks). */
  streaklessWebhooks?: StreaklessWebhooks;
  now?: () => Date;
}

/**
 * Per worker: the webhooks known to have no failure streak, and since when. A success on one of them needs no
 * look at its streak for STREAK_RECHECK_MS; past that (or once this worker saw one of its deliveries fail) the
 * next success reads the streak and ends it. So a streak another worker started is ended by a success there,
 * or here within STREAK_RECHECK_MS of its start: an attempt reads no streak at all.
 */
export class StreaklessWebhooks {
  private readonly checkedAt = new Map<string, number>();

  constructor(
    private readonly recheckMs = STREAK_RECHECK_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The webhook has no streak now (a success just ended any). */
  observe(webhookId: string): void {
    this.checkedAt.delete(webhookId);
    if (this.checkedAt.size >= 100_000) this.checkedAt.clear();
    this.checkedAt.set(webhookId, this.clock());
  }

  has(id: string): boolean {
    const at = this.checkedAt.get(id);
    return at !== undefined && this.clock() - at < this.recheckMs;
  }

  delete(id: string): void {
    this.checkedAt.delete(id);
  }
}

export const STREAK_RECHECK_MS = 30_000;

export function createDeliveryOutcomes(deps: DeliveryOutcomesDeps) {
  const log = deps.logger.child({ module: 'delivery-outcomes' });
  const now = (): Date => deps.now?.() ?? new Date();

  /** An attempt's outcome was recorded by the try that made it. */
  function attemptRecorded(outcome: {
    delivered: boolean;
    statusCode?: number;
    errorClass?: AttemptErrorClass;
    durationMs: number;
  }): void {
    if (!deps.metrics) return;
    const resultClass = attemptResultClass(outcome);
    deps.metrics.attempts.inc({ result_class: resultClass });
    deps.metrics.attemptDuration.observe({ result_class: resultClass }, outcome.durationMs / 1000);
  }

  /** The delivery's state was written; `before` is the record as it was. Acts only on a change of status. */
  async function stateRecorded(
    change: { status: DeliveryStatus; lastError?: string },
    before: DeliveryFacts,
  ): Promise<void> {
    if (before.status === change.status || !FINISHED.includes(change.status)) return;
    try {
      deps.metrics?.deliveriesFinished.inc({ outcome: change.status, event_type: before.event });
      if (change.status === 'succeeded') {
        await observeLatency(before);
        // A webhook this worker knows has no failure streak has none to end: skip the look.
        if (!deps.streaklessWebhooks?.has(before.webhookId)) {
          await deps.autoDisable?.deliverySucceeded(before.webhookId);
          deps.streaklessWebhooks?.observe(before.webhookId);
        }
      } else if (change.status === 'failed') {
        deps.streaklessWebhooks?.delete(before.webhookId);
        const lastError = change.lastError || before.lastError || 'failed';
        await deps.autoDisable?.deliveryFailed(before.webhookId, lastError);
      }
    } catch (err) {
      log.warn({ err, deliveryId: before._id, status: change.status }, 'recording a delivery outcome failed');
    }
  }

  /** From the event's acceptance (its stored createdAt) to this first success. */
  async function observeLatency(before: DeliveryFacts): Promise<void> {
    if (!deps.metrics) return;
    const since = before.eventAcceptedAt ?? (await deps.store.events.findByKey(before.eventKey))?.createdAt ?? now();
    deps.metrics.publishToFirstDelivery.observe(
      { event_type: before.event },
      Math.max(0, now().getTime() - since.getTime()) / 1000,
    );
  }

  /** An endpoint's answer held it (`reason`: `HTTP 429`, `HTTP 503`). */
  function endpointHeld(reason: string): void {
    deps.metrics?.endpointHolds.inc({ reason });
  }

  /** An automatic attempt found its endpoint held and sent nothing. */
  function attemptHeld(): void {
    deps.metrics?.attemptsHeld.inc();
  }

  return { attemptRecorded, stateRecorded, endpointHeld, attemptHeld };
}

export type DeliveryOutcomes = ReturnType<typeof createDeliveryOutcomes>;
