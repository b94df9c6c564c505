/** Input schemas shared by the client module and the API. */
import { z } from 'zod';
import { PLATFORM_EVENTS } from '../store/model';

/** IDs end up in workflow IDs and URLs: keep them to a safe, readable alphabet. */
export const idSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._~-]+$/, 'only letters, digits and . _ ~ - are allowed');

export const platformEventSchema = z.enum(PLATFORM_EVENTS);

export const publishEventSchema = z.object({
  eventId: idSchema,
  tenantId: idSchema,
  event: platformEventSchema,
  documentId: z.string().min(1).max(200),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});

export type PublishEventInput = z.input<typeof publishEventSchema>;
