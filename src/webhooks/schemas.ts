/**
 * What a tenant may set on a webhook: its URL, authorization, signing secret, status and retry schedule.
 * Validated by the API and by the webhook service alike; the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import 'zod-openapi';
import { platformEventSchema } from '../client/schemas';

/** Headers the engine sets itself; an API-key header may not use them. */
export const RESERVED_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'user-agent',
  'x-docflo-event',
  'x-docflo-delivery',
  'x-docflo-attempt',
  'x-docflo-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const webhookUrlSchema = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL, e.g. https://example.com/webhooks' });
      return;
    }
    if (url.protocol === 'http:') {
      ctx.addIssue({ code: 'custom', message: 'HTTP endpoints are not supported for security reasons; use https://' });
    } else if (url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `only https:// URLs are supported, not ${url.protocol}` });
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials; use the auth settings instead' });
    }
    if (value.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not contain a fragment (#…)' });
  })
  .meta({
    description: 'Absolute https:// URL of the receiving endpoint',
    example: 'https://erp.example.com/webhooks/docflo',
  });

const secretText = (name: string, max: number) => z.string().min(1, `${name} must not be empty`).max(max);

export const authInputSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none') }).strict(),
    z
      .object({
        type: z.literal('basic'),
        username: z
          .string()
          .min(1)
          .max(256)
          .regex(/^[^:]*$/, 'must not contain ":"'),
        password: secretText('password', 1024),
      })
      .strict(),
    z.object({ type: z.literal('bearer'), token: secretText('token', 4096) }).strict(),
    z
      .object({
        type: z.literal('apiKey'),
        headerName: z
          .string()
          .max(128)
          .regex(HTTP_TOKEN, 'must be a valid HTTP header name')
          .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'is a header the engine sets itself')
          .default('x-api-key'),
        key: secretText('key', 4096),
      })
      .strict(),
  ])
  .meta({ id: 'WebhookAuthInput', description: 'How Docflo authenticates to your endpoint' });

export const signingSecretSchema = z
  .string()
  .min(16, 'must be at least 16 characters')
  .max(256, 'must be at most 256 characters')
  .refine((s) => !s.startsWith('whsec_') || /^whsec_[A-Za-z0-9+/]{22,}={0,2}$/.test(s), {
    message: 'a whsec_ secret must be whsec_ followed by base64 of at least 16 bytes',
  })
  .meta({ description: 'Secret for X-Docflo-Signature (HMAC-SHA256 of the raw body) and webhook-signature' });

export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

export const rotateSecretSchema = z
  .object({
    secret: signingSecretSchema.optional().meta({ description: 'The new secret; omitted, one is generated (whsec_…)' }),
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS, 'must be at most 7 days')
      .default(24 * 3600)
      .meta({ description: 'How long deliveries are also signed with the previous secret' }),
  })
  .strict()
  .meta({ id: 'RotateSecret' });

export const retryScheduleSchema = z
  .array(
    z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600),
  )
  .max(20)
  .meta({ description: 'Seconds to wait before each retry; [] means a single attempt', example: [5, 300, 1800] });

export const webhookStatusSchema = z.enum(['active', 'inactive']);

export const createWebhookSchema = z
  .object({
    url: webhookUrlSchema,
    event: platformEventSchema,
    auth: authInputSchema.default({ type: 'none' }),
    signingSecret: signingSecretSchema.optional(),
    status: webhookStatusSchema.default('active'),
    retrySchedule: retryScheduleSchema.optional(),
  })
  .strict()
  .meta({ id: 'CreateWebhook' });

export const updateWebhookSchema = z
  .object({
    url: webhookUrlSchema.optional(),
    event: platformEventSchema.optional(),
    auth: authInputSchema.optional(),
    signingSecret: signingSecretSchema.nullable().optional(),
    status: webhookStatusSchema.optional(),
    retrySchedule: retryScheduleSchema.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'at least one field must be given')
  .meta({ id: 'UpdateWebhook' });
