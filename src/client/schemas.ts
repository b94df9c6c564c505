/** Input schemas shared by the client module and the API. */
import { z } from 'zod';
import { PLATFORM_EVENTS } from '../store/model';

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

export const platformEventSchema = z.enum(PLATFORM_EVENTS);

export const publishEventSchema = z.object({
  eventId: idSchema,
  tenantId: idSchema,
  event: platformEventSchema,
  documentId: idSchema,
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});

export type PublishEventInput = z.input<typeof publishEventSchema>;
