/**
 * Automatic disabling of a webhook that keeps failing, with warnings first.
 *
 * The streak lives on the endpoint's state (EndpointStateRecord, written by the engine alone, never the tenant's
 * webhook record): it starts with the first delivery that ends `failed`, counts each further one, and ends with
 * any success, a disable or a change of the webhook's status (it counts under one status version). It is checked
 * each time one of the webhook's deliveries ends failed:
 *
 * - at 50 % and 90 % of WEBHOOK_DISABLE_AFTER since the streak began, `webhook.failing` is published (once per
 *   threshold per streak, claimed on the record so concurrent workers publish it once);
 * - past the whole window with at least WEBHOOK_DISABLE_MIN_FAILURES failed deliveries in the streak, the
 *   webhook is set inactive through the same durable path as an operator's PATCH (store + hand-off to its
 *   control workflow, which pauses its running deliveries), `disabledReason` says `auto: <last error>`, and
 *   `webhook.disabled` is published.
 *
 * No loops: a webhook subscribed to an operational event (webhook.failing / webhook.disabled) is tracked and
 * disabled like any other, so a dead endpoint stops being retried, but no operational event is ever
 * published about it. Operational events are therefore only caused by document-event webhooks, and at most
 * three per streak.
 */
import type { EngineStatusChange } from '../client/webhook-control';
import type { Logger } from '../logger';
import type { Store } from '../store';
import {
  isOperationalEvent,
  type EndpointState,
  type FailureStreak,
  type WebhookRecord,
  type WebhookStatus,
} from '../store/model';
import type { WorkerMetrics } from '../metrics/metrics';
import type { OperationalPublisher } from './operational-events';

export const WARNING_THRESHOLDS = [50, 90] as const;

export interface AutoDisableDeps {
  store: Store;
  /**
   * The durable status path (EngineClient.setWebhookStatus): store the status (with why the engine disabled it),
   * hand it to the deliveries.
   */
  setWebhookStatus(
    tenantId: string,
    webhookId: string,
    status: WebhookStatus,
    engine?: EngineStatusChange,
  ): Promise<{ webhook: WebhookRecord }>;
  publisher: OperationalPublisher;
  windowSeconds: number;
  minFailures: number;
  logger: Logger;
  metrics?: WorkerMetrics;
  now?: () => Date;
}

export function createAutoDisable(deps: AutoDisableDeps) {
  const now = (): Date => deps.now?.() ?? new Date();
  const log = deps.logger.child({ module: 'auto-disable' });
  const windowMs = deps.windowSeconds * 1000;

  /** A delivery of the webhook ended `failed`: count it, then warn or disable as the streak says. */
  async function deliveryFailed(webhookId: string, lastError: string): Promise<void> {
    const at = now();
    const webhook = await deps.store.webhooks.findById(webhookId);
    if (!webhook) return;
    const state = await deps.store.endpointStates.recordFailure(webhook, lastError, at);
    if (webhook.status !== 'active' || !state) return;
    if (state.disabling) {
      await finishDisabling(webhook, state.disabling);
      return;
    }
    if (state.failureStreak) await evaluate(webhook, state.failureStreak, at);
  }

  /**
   * A disable was claimed but its worker stopped before the status was written: finish it, unless the webhook's
   * status changed since the claim (an operator's word comes after it).
   */
  async function finishDisabling(
    webhook: WebhookRecord,
    disabling: NonNullable<EndpointState['disabling']>,
  ): Promise<void> {
    await disable(webhook, { reason: disabling.reason, at: disabling.at }, disabling.statusVersion);
    await deps.store.endpointStates.endDisabling(webhook._id);
  }

  /** Sets it inactive with why, only at the version judged: whether this call disabled it. */
  async function disable(
    webhook: WebhookRecord,
    disabledReason: NonNullable<WebhookRecord['disabledReason']>,
    atVersion: number,
  ): Promise<boolean> {
    const { webhook: after } = await deps.setWebhookStatus(webhook.tenantId, webhook._id, 'inactive', {
      disabledReason,
      atVersion,
    });
    return after.statusVersion === atVersion + 1 && after.disabledReason?.at.getTime() === disabledReason.at.getTime();
  }

  /** A delivery of the webhook succeeded: the streak is over. */
  async function deliverySucceeded(webhookId: string): Promise<void> {
    await deps.store.endpointStates.endFailureStreak(webhookId);
  }

  async function evaluate(webhook: WebhookRecord, streak: FailureStreak, at: Date): Promise<void> {
    const elapsed = at.getTime() - streak.since.getTime();
    const disableAt = new Date(streak.since.getTime() + windowMs);
    const silent = isOperationalEvent(webhook.event);
    if (elapsed >= windowMs && streak.count >= deps.minFailures) {
      const reason = `auto: ${streak.lastError}`;
      const statusVersion = webhook.statusVersion ?? 0;
      const disabling = { reason, at, statusVersion };
      if (!(await deps.store.endpointStates.claimAutoDisable(webhook._id, streak, disabling))) return;
      const disabled = await disable(webhook, { reason, at }, statusVersion);
      await deps.store.endpointStates.endDisabling(webhook._id);
      // The operator changed its status after the failure was counted: theirs stands, nothing was disabled.
      if (!disabled) return;
      deps.metrics?.webhooksAutoDisabled.inc();
      log.warn(
        { webhookId: webhook._id, tenantId: webhook.tenantId, failedDeliveries: streak.count, reason },
        'webhook disabled automatically',
      );
      if (!silent) {
        await publish({
          type: 'webhook.disabled',
          webhook,
          lastError: streak.lastError,
          failingSince: streak.since,
          failedDeliveries: streak.count,
          at,
          disabledReason: reason,
          discriminator: 'disabled',
        });
      }
      return;
    }
    for (const threshold of WARNING_THRESHOLDS) {
      if (elapsed < (windowMs * threshold) / 100 || streak.warned.includes(threshold)) continue;
      if (!(await deps.store.endpointStates.claimStreakWarning(webhook._id, streak.since, threshold))) continue;
      if (silent) continue;
      await publish({
        type: 'webhook.failing',
        webhook,
        lastError: streak.lastError,
        failingSince: streak.since,
        failedDeliveries: streak.count,
        at,
        disableAt,
        thresholdPercent: threshold,
        discriminator: String(threshold),
      });
    }
  }

  async function publish(input: Parameters<OperationalPublisher['publish']>[0]): Promise<void> {
    const eventId = await deps.publisher.publish(input);
    if (eventId) deps.metrics?.operationalEvents.inc({ event_type: input.type });
    log.info({ webhookId: input.webhook._id, event: input.type, eventId }, 'operational event');
  }

  return { deliveryFailed, deliverySucceeded };
}

export type AutoDisable = ReturnType<typeof createAutoDisable>;
