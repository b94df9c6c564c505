/** What the API shows of stored records: secrets masked, dates as ISO strings, internal fields left out. */
import type { SecretBox } from '../crypto/secret-box';
import type {
  AttemptRecord,
  DeliveryRecord,
  DeliveryStatus,
  EndpointState,
  EventRecord,
  StoredAuth,
  WebhookRecord,
} from '../store/model';
import type { RedeliveryAnswer } from '../workflows/contracts';

/** Shows the last four characters of a long secret, nothing of a short one. */
export function mask(secret: string): string {
  return secret.length >= 12 ? `****${secret.slice(-4)}` : '****';
}

function maskAuth(auth: StoredAuth, box: SecretBox) {
  switch (auth.type) {
    case 'none':
      return { type: 'none' as const };
    case 'basic':
      return { type: 'basic' as const, username: auth.username, password: mask(box.open(auth.password)) };
    case 'bearer':
      return { type: 'bearer' as const, token: mask(box.open(auth.token)) };
    case 'apiKey':
      return { type: 'apiKey' as const, headerName: auth.headerName, key: mask(box.open(auth.key)) };
  }
}

const iso = (d: Date | undefined): string | null => (d ? d.toISOString() : null);

/**
 * `state`: what the engine knows of the endpoint (its hold, its failure streak). `disableAfterSeconds`
 * (WEBHOOK_DISABLE_AFTER) dates a failing webhook's disabling.
 */
export function webhookView(
  webhook: WebhookRecord,
  state: EndpointState | undefined,
  box: SecretBox,
  disableAfterSeconds = 5 * 86400,
) {
  // A streak counts under one status version: one from before a pause or a re-enabling is over.
  const streak =
    state?.failureStreak && state.failureStreak.statusVersion === (webhook.statusVersion ?? 0)
      ? state.failureStreak
      : undefined;
  const hold = state?.hold;
  return {
    id: webhook._id,
    url: webhook.url,
    event: webhook.event,
    auth: maskAuth(webhook.auth, box),
    signingSecret: webhook.signingSecret ? mask(box.open(webhook.signingSecret)) : null,
    previousSecretsExpireAt: (webhook.previousSigningSecrets ?? [])
      .filter((p) => p.expiresAt > new Date())
      .map((p) => p.expiresAt.toISOString()),
    status: webhook.status,
    statusVersion: webhook.statusVersion ?? 0,
    retrySchedule: webhook.retrySchedule ?? null,
    rateLimit: webhook.rateLimit ? { perSecond: webhook.rateLimit.perSecond, burst: webhook.rateLimit.burst } : null,
    maxInFlight: webhook.maxInFlight ?? null,
    ordering: webhook.ordering ?? 'none',
    disabledReason: webhook.disabledReason
      ? { reason: webhook.disabledReason.reason, at: webhook.disabledReason.at.toISOString() }
      : null,
    failing: streak
      ? {
          since: streak.since.toISOString(),
          failedDeliveries: streak.count,
          lastError: streak.lastError,
          disableAt: new Date(streak.since.getTime() + disableAfterSeconds * 1000).toISOString(),
        }
      : null,
    hold:
      hold && hold.until > new Date()
        ? { until: hold.until.toISOString(), reason: hold.reason, askedSeconds: hold.askedSeconds }
        : null,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}

export function deliveryView(d: DeliveryRecord) {
  return {
    id: d._id,
    webhookId: d.webhookId,
    eventId: d.eventId,
    event: d.event,
    documentId: d.documentId ?? null,
    status: d.status,
    attemptCount: d.attemptCount,
    lastAttemptAt: iso(d.lastAttemptAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    lastStatusCode: d.lastStatusCode ?? null,
    lastError: d.lastError || null,
    createdAt: d.createdAt.toISOString(),
  };
}

export function attemptView(a: AttemptRecord) {
  return {
    attempt: a.attempt,
    trigger: a.trigger,
    url: a.url,
    requestHeaders: a.requestHeaders,
    delivered: a.delivered,
    statusCode: a.statusCode ?? null,
    responseBody: a.responseBody ?? null,
    responseBodyTruncated: a.responseBodyTruncated ?? false,
    responseBodyErased: a.responseBodyErased ?? false,
    durationMs: a.durationMs,
    errorClass: a.errorClass ?? null,
    error: a.error ?? null,
    startedAt: a.startedAt.toISOString(),
  };
}

export function eventView(e: EventRecord, deliveries: DeliveryRecord[]) {
  return {
    id: e.eventId,
    event: e.event,
    documentId: e.documentId,
    status: e.status,
    failureReason: e.failureReason ?? null,
    occurredAt: e.occurredAt.toISOString(),
    payloadErasedAt: e.payloadErasedAt?.toISOString() ?? null,
    deliveries: deliveries.map(deliveryView),
  };
}

/** An event in a listing: no deliveries, but how many are in each status. */
export function eventSummaryView(e: EventRecord, deliveries: Partial<Record<DeliveryStatus, number>>) {
  return {
    id: e.eventId,
    event: e.event,
    documentId: e.documentId,
    status: e.status,
    occurredAt: e.occurredAt.toISOString(),
    acceptedAt: e.createdAt.toISOString(),
    deliveries,
  };
}

const SNIPPET = 1024;

/** An attempt's outcome for the caller who asked for it: the workflow's result plus a response snippet. */
export function outcomeView(deliveryId: string, result: RedeliveryAnswer | undefined, attempt: AttemptRecord | null) {
  const made = result && (result.kind === 'delivered' || result.kind === 'failed') ? result : undefined;
  return {
    deliveryId,
    // `in_progress`: the same request's attempt is still being sent; asking again answers its outcome.
    status:
      result?.kind === 'in_progress' ? ('in_progress' as const) : made?.kind === 'delivered' ? 'delivered' : 'failed',
    delivered: made?.kind === 'delivered',
    attempt: made?.attempt ?? (result?.kind === 'in_progress' ? result.attempt : null),
    statusCode: made?.statusCode ?? null,
    durationMs: made?.durationMs ?? null,
    responseBody: attempt?.responseBody?.slice(0, SNIPPET) ?? null,
    error: made?.kind === 'failed' ? made.error : result && !made && result.kind !== 'in_progress' ? result.kind : null,
  };
}
