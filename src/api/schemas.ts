/**
 * Every request and response shape of the admin API. The same zod schemas validate input and generate the
 * OpenAPI document, so the docs cannot drift from what the server accepts.
 */
import { ORDERINGS } from '../store/vocabulary';
import { z } from 'zod';
import 'zod-openapi';
import { idSchema, platformEventSchema, subscribableEventSchema } from '../client/schemas';
import { DELIVERY_STATUSES } from '../store/model';
import { webhookStatusSchema } from '../webhooks/schemas';

/** Path parameters of routes that name one resource. */
export const idParamsSchema = z.object({ id: idSchema });

const maskedAuthSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none') }),
    z.object({ type: z.literal('basic'), username: z.string(), password: z.string() }),
    z.object({ type: z.literal('bearer'), token: z.string() }),
    z.object({ type: z.literal('apiKey'), headerName: z.string(), key: z.string() }),
  ])
  .meta({ id: 'WebhookAuth', description: 'Credentials are masked: only their last four characters show' });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    event: subscribableEventSchema,
    auth: maskedAuthSchema,
    signingSecret: z.string().nullable().meta({ description: 'Masked; GET /v1/webhooks/{id}/secret reveals it' }),
    previousSecretsExpireAt: z
      .array(z.string())
      .meta({ description: 'When each rotated-out secret, still signed with, stops being used' }),
    status: webhookStatusSchema,
    statusVersion: z.number().meta({ description: 'Bumped on every status change; deliveries apply only the newest' }),
    retrySchedule: z.array(z.number()).nullable(),
    rateLimit: z
      .object({ perSecond: z.number(), burst: z.number() })
      .nullable()
      .meta({ description: 'At most perSecond automatic attempts a second, burst at once; null: no limit' }),
    maxInFlight: z.number().nullable().meta({ description: 'Automatic attempts open at once; null: no limit' }),
    ordering: z.enum(ORDERINGS).meta({
      description: 'none, document (each document in publish order) or webhook (the whole endpoint in publish order)',
    }),
    disabledReason: z.object({ reason: z.string(), at: z.string() }).nullable().meta({
      description: 'Set when the engine disabled the webhook itself (`auto: <last error>`); cleared when set active',
    }),
    failing: z
      .object({ since: z.string(), failedDeliveries: z.number(), lastError: z.string(), disableAt: z.string() })
      .nullable()
      .meta({
        description:
          'Failed deliveries in a row with no success in between, and when the webhook will be disabled if that goes on (and enough fail)',
      }),
    hold: z.object({ until: z.string(), reason: z.string(), askedSeconds: z.number() }).nullable().meta({
      description:
        'The endpoint asked to be left alone (a 429, or a 503 with Retry-After): no automatic attempt of any of its deliveries starts before `until` (at most an hour after the answer)',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Webhook' });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const listWebhooksQuerySchema = listQuerySchema
  .extend({ event: subscribableEventSchema.optional(), status: webhookStatusSchema.optional() })
  .strict();

export const listDeliveriesQuerySchema = listQuerySchema
  .extend({
    status: z.enum(DELIVERY_STATUSES).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

/** GET /v1/deliveries: a tenant's deliveries, by any of these together. */
export const listTenantDeliveriesQuerySchema = listDeliveriesQuerySchema
  .extend({
    webhookId: idSchema.optional(),
    event: subscribableEventSchema.optional(),
    eventId: z.string().min(1).max(200).optional(),
    documentId: z.string().min(1).max(200).optional(),
  })
  .strict();

/** GET /v1/events: a tenant's events, by any of these together. */
export const listEventsQuerySchema = listQuerySchema
  .extend({
    event: subscribableEventSchema.optional(),
    documentId: z.string().min(1).max(200).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const deliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    event: subscribableEventSchema,
    documentId: z.string().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attemptCount: z.number(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Delivery' });

export const attemptSchema = z
  .object({
    attempt: z.number(),
    trigger: z.enum(['automatic', 'manual']),
    url: z.string(),
    requestHeaders: z.record(z.string(), z.string()).meta({ description: 'Credentials redacted' }),
    delivered: z.boolean(),
    statusCode: z.number().nullable(),
    responseBody: z.string().nullable().meta({ description: 'First 16 KiB of the response' }),
    responseBodyTruncated: z.boolean(),
    responseBodyErased: z
      .boolean()
      .meta({ description: "Removed with its event's payload (DELETE /v1/events/{id}/payload)" }),
    durationMs: z.number(),
    errorClass: z.string().nullable(),
    error: z.string().nullable(),
    startedAt: z.string(),
  })
  .meta({ id: 'Attempt' });

export const attemptOutcomeSchema = z
  .object({
    deliveryId: z.string(),
    /** `in_progress`: a repeated request whose attempt is still being sent (ask again for its outcome). */
    status: z.enum(['delivered', 'failed', 'in_progress']),
    delivered: z.boolean(),
    attempt: z.number().nullable(),
    statusCode: z.number().nullable(),
    durationMs: z.number().nullable(),
    responseBody: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'AttemptOutcome' });

/** How far from the server's clock an event's occurredAt may lie (EVENT_OCCURRED_AT_MAX_AGE/FUTURE_SECONDS). */
export interface OccurredAtWindow {
  maxAgeSeconds: number;
  maxFutureSeconds: number;
}

export const DEFAULT_OCCURRED_AT_WINDOW: OccurredAtWindow = { maxAgeSeconds: 7 * 24 * 3600, maxFutureSeconds: 300 };

export const publishEventBodySchema = z
  .object({
    eventId: idSchema.meta({
      description:
        "The platform's own ID of the event, required: the same ID with the same content is one event (202 with the first answer), with other content a 409",
    }),
    tenantId: idSchema,
    event: platformEventSchema,
    documentId: idSchema,
    occurredAt: z.iso.datetime({ offset: true }).optional().meta({
      description:
        "When it happened (default: now). Must lie within a window around the server's clock, by default from 7 days before to 5 minutes after",
    }),
  })
  .strict()
  .meta({ id: 'PublishEvent' });

function duration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const [size, unit] = units.find(([size]) => seconds % size === 0 && seconds >= size) ?? [1, 'second'];
  const n = seconds / size;
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * The publish body with occurredAt held to `window` around the clock at the moment of validation. It keeps
 * the base schema's OpenAPI id (PublishEvent); giving it the id again would make a duplicate.
 */
export function publishEventBodyWithin(window: OccurredAtWindow = DEFAULT_OCCURRED_AT_WINDOW) {
  return publishEventBodySchema.superRefine((body, ctx) => {
    if (body.occurredAt === undefined) return;
    const at = Date.parse(body.occurredAt);
    const now = Date.now();
    if (at < now - window.maxAgeSeconds * 1000 || at > now + window.maxFutureSeconds * 1000) {
      ctx.addIssue({
        code: 'custom',
        path: ['occurredAt'],
        message: `must lie between ${duration(window.maxAgeSeconds)} before and ${duration(window.maxFutureSeconds)} after the server's clock (${new Date(now).toISOString()})`,
      });
    }
  });
}

export const eventSchema = z
  .object({
    id: z.string(),
    event: platformEventSchema,
    documentId: z.string(),
    status: z.enum(['pending', 'dispatched', 'failed']),
    failureReason: z.string().nullable(),
    occurredAt: z.string(),
    payloadErasedAt: z
      .string()
      .nullable()
      .meta({ description: 'When its payload (the document snapshot) was erased; null: it is kept' }),
    deliveries: z.array(deliverySchema),
  })
  .meta({ id: 'Event' });

export const eventSummarySchema = z
  .object({
    id: z.string(),
    event: subscribableEventSchema,
    documentId: z.string(),
    status: z.enum(['pending', 'dispatched', 'failed']),
    occurredAt: z.string(),
    acceptedAt: z.string(),
    deliveries: z
      .partialRecord(z.enum(DELIVERY_STATUSES), z.number())
      .meta({ description: 'How many of its deliveries are in each status (statuses with none are left out)' }),
  })
  .meta({ id: 'EventSummary' });

export const createTenantSchema = z
  .object({ tenantId: idSchema.optional(), name: z.string().min(1).max(200) })
  .strict()
  .meta({ id: 'CreateTenant' });

export const recoverSchema = z
  .object({
    since: z.iso.datetime({ offset: true }),
    until: z.iso.datetime({ offset: true }).optional(),
    dryRun: z
      .boolean()
      .default(false)
      .meta({ description: 'Only count what would be re-sent (queued), start nothing: to confirm first' }),
  })
  .strict()
  .refine((v) => !v.until || Date.parse(v.until) > Date.parse(v.since), {
    message: 'must be after since',
    path: ['until'],
  })
  .meta({ id: 'Recover' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().nullable(),
    }),
  })
  .meta({ id: 'Error' });

export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() }).meta({ id });

/** One page of deliveries, the same in every listing that returns deliveries. */
export const deliveryPageSchema = pageOf(deliverySchema, 'DeliveryPage');
