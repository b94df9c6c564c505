/** Input schemas shared by the client module and the API. */
import { z } from 'zod';
import { isTestEventId } from '../ids';
import { PLATFORM_EVENTS, SUBSCRIBABLE_EVENTS } from '../store/model';

/**
 * The one pattern of every ID in a path or a body. IDs end up in workflow IDs and URLs: a safe, readable
 * alphabet, and a dot only between two other characters, so no ID is ".", ".." or a path ("a/b").
 */
export const ID_PATTERN = /^[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*$/;

export const idSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(ID_PATTERN, 'only letters, digits and . _ ~ - are allowed, and a dot only between two of the others');

/** What the platform may publish. */
export const platformEventSchema = z.enum(PLATFORM_EVENTS);

/** What a webhook may subscribe to: the platform's events and the engine's operational ones. */
export const subscribableEventSchema = z.enum(SUBSCRIBABLE_EVENTS).meta({
  description:
    "A document event, or an operational event about the tenant's other webhooks: webhook.failing (warnings at 50 % and 90 % of the auto-disable window) and webhook.disabled",
});

export const publishEventSchema = z.object({
  // `test_` marks the engine's own test events (POST /v1/webhooks/{id}/test), the one kind sent to an inactive webhook.
  eventId: idSchema.refine((id) => !isTestEventId(id), 'must not start with "test_" (reserved for test events)'),
  tenantId: idSchema,
  event: platformEventSchema,
  documentId: idSchema,
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});

export type PublishEventInput = z.input<typeof publishEventSchema>;
