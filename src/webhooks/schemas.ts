/**
 * What a tenant may set on a webhook: its URL, authorization, signing secret, status and retry schedule.
 * Validated by the API and by the webhook service alike; the OpenAPI document is generated from them.
 */
import net from 'node:net';
import { z } from 'zod';
import 'zod-openapi';
import { subscribableEventSchema } from '../client/schemas';
import { ORDERINGS } from '../store/vocabulary';

/** Headers the engine sets itself; an API-key header may not use them. */
export const RESERVED_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
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

/**
 * Hop-by-hop, proxy and cookie headers: proxies strip, rewrite or act on them, so a key sent in one may never
 * arrive (or arrive somewhere it should not). An API-key header may not be one of them.
 */
export const HOP_BY_HOP_OR_PROXY_HEADERS = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'forwarded',
  'x-real-ip',
  'cookie',
  'set-cookie',
]);
const HOP_BY_HOP_OR_PROXY_PREFIXES = ['proxy-', 'x-forwarded-'];

export function isHopByHopOrProxyHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return HOP_BY_HOP_OR_PROXY_HEADERS.has(lower) || HOP_BY_HOP_OR_PROXY_PREFIXES.some((p) => lower.startsWith(p));
}

/**
 * Why a credential cannot be sent as is in an HTTP header value, or undefined: only visible ASCII and inner
 * spaces travel unchanged (a control character makes the request invalid, anything outside ASCII is encoded
 * differently by each side, and leading or trailing spaces are stripped). Never echoes the value.
 */
export function headerValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      return `must be a valid HTTP header value: a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at position ${i + 1}`;
    }
    if (code > 0x7e) {
      return `must be a valid HTTP header value: only visible ASCII characters and spaces, not the character at position ${i + 1}`;
    }
  }
  if (/^ | $/.test(value)) return 'must be a valid HTTP header value: no leading or trailing space';
  return undefined;
}

/** Basic credentials travel base64-encoded (as UTF-8), so any character but a control character works. */
export function controlCharacterProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const at = value.search(/[\u0000-\u001f\u007f-\u009f]/);
  if (at === -1) return undefined;
  const code = value.charCodeAt(at);
  return `must not contain control characters: U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${at + 1}`;
}

const refineWith =
  (problem: (value: string) => string | undefined) =>
  (value: string, ctx: z.RefinementCtx): void => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  };

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const MAX_URL_LENGTH = 2048;

/**
 * Why a WHATWG-parsed host name can never be resolved, or undefined. IP literals are left to the URL parser
 * (which normalizes 2130706433 or 0x7f.1) and to the SSRF check; names must be DNS host names: letters, digits
 * and inner hyphens, labels of 1 to 63 characters, at most 253 in all (IDNs arrive here as punycode).
 */
export function hostNameProblem(hostname: string): string | undefined {
  if (hostname.startsWith('[') || net.isIPv4(hostname)) return undefined;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length > 253) return `the host name has ${name.length} characters; at most 253 are allowed`;
  for (const label of name.split('.')) {
    if (label.length === 0) return 'the host name has an empty label (two dots in a row)';
    if (label.length > 63) return `the host name has a label of ${label.length} characters; at most 63 are allowed`;
    if (!/^[a-z0-9-]+$/.test(label)) {
      return 'the host name may only contain letters, digits, hyphens and dots';
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return 'a label of the host name may not begin or end with a hyphen';
    }
  }
  return undefined;
}

/**
 * Why this text is not a URL a delivery can use, or undefined. Checked on the text as sent, because the
 * WHATWG parser quietly repairs what it should refuse here: it drops tabs and newlines, trims spaces and
 * control characters, and reads backslashes as slashes.
 */
export function webhookUrlProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.trim() !== value) problems.push('must not begin or end with whitespace');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    problems.push('must not contain control characters (tab, CR, LF, NUL…); percent-encode them in the path');
  }
  if (value.includes('\\')) problems.push('must not contain a backslash');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [...problems, 'must be an absolute URL, e.g. https://example.com/webhooks'];
  }
  if (url.protocol === 'http:') {
    problems.push('HTTP endpoints are not supported for security reasons; use https://');
  } else if (url.protocol !== 'https:') {
    problems.push(`only https:// URLs are supported, not ${url.protocol}`);
  }
  if (url.username || url.password) problems.push('must not contain credentials; use the auth settings instead');
  if (value.includes('#')) problems.push('must not contain a fragment (#…)');
  if (url.port === '0') problems.push('port 0 is not a port a server can listen on');
  const host = hostNameProblem(url.hostname);
  if (host) problems.push(host);
  if (url.href.length > MAX_URL_LENGTH) problems.push(`must be at most ${MAX_URL_LENGTH} characters once normalized`);
  return problems;
}

/** Accepts an https:// URL and stores its normalized (WHATWG) form: what is shown is what is requested. */
export const webhookUrlSchema = z
  .string()
  .max(MAX_URL_LENGTH)
  .superRefine((value, ctx) => {
    for (const message of webhookUrlProblems(value)) ctx.addIssue({ code: 'custom', message });
  })
  .transform((value) => new URL(value).href)
  .meta({
    description:
      'Absolute https:// URL of the receiving endpoint, stored normalized (lower-case host, punycode, percent-encoded path)',
    example: 'https://erp.example.com/webhooks/docflo',
  });

const secretText = (name: string, max: number) => z.string().min(1, `${name} must not be empty`).max(max);
/** A credential sent verbatim in a header (a bearer token, an API key). */
const headerSecret = (name: string, max: number) =>
  secretText(name, max)
    .superRefine(refineWith(headerValueProblem))
    .meta({ description: 'Sent verbatim in a header: visible ASCII and inner spaces only' });

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
          .regex(/^[^:]*$/, 'must not contain ":"')
          .superRefine(refineWith(controlCharacterProblem)),
        password: secretText('password', 1024).superRefine(refineWith(controlCharacterProblem)),
      })
      .strict(),
    z.object({ type: z.literal('bearer'), token: headerSecret('token', 4096) }).strict(),
    z
      .object({
        type: z.literal('apiKey'),
        headerName: z
          .string()
          .max(128)
          .regex(HTTP_TOKEN, 'must be a valid HTTP header name')
          .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'is a header the engine sets itself')
          .refine(
            (h) => !isHopByHopOrProxyHeader(h),
            'is a hop-by-hop, proxy or cookie header (Connection, Proxy-*, Via, Forwarded, X-Forwarded-*, Cookie…), which proxies strip or rewrite',
          )
          .default('x-api-key'),
        key: headerSecret('key', 4096),
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

export const rateLimitSchema = z
  .object({
    perSecond: z
      .number()
      .positive()
      .max(1000, 'must be at most 1000')
      .meta({ description: 'Attempts per second, on average' }),
    burst: z
      .number()
      .int()
      .min(1)
      .max(1000, 'must be at most 1000')
      .default(1)
      .meta({ description: 'How many may go at once after a quiet spell (1: evenly spaced)' }),
  })
  .strict()
  .meta({
    id: 'RateLimit',
    description:
      'At most perSecond automatic attempts a second, burst at once; in any second, perSecond + burst at most',
  });

export const maxInFlightSchema = z
  .number()
  .int()
  .min(1)
  .max(1000, 'must be at most 1000')
  .meta({ description: 'Automatic attempts open at once (a slow endpoint is never sent a third while two wait)' });

export const orderingSchema = z.enum(ORDERINGS).meta({
  description:
    'none: any order. document: the events of one document in the order they were published (documents in parallel). webhook: one delivery at a time, in publish order',
});

export const createWebhookSchema = z
  .object({
    url: webhookUrlSchema,
    event: subscribableEventSchema,
    auth: authInputSchema.default({ type: 'none' }),
    signingSecret: signingSecretSchema.optional(),
    status: webhookStatusSchema.default('active'),
    retrySchedule: retryScheduleSchema.optional(),
    rateLimit: rateLimitSchema.optional(),
    maxInFlight: maxInFlightSchema.optional(),
    ordering: orderingSchema.default('none'),
  })
  .strict()
  .meta({ id: 'CreateWebhook' });

export const updateWebhookSchema = z
  .object({
    url: webhookUrlSchema.optional(),
    event: subscribableEventSchema.optional(),
    auth: authInputSchema.optional(),
    signingSecret: signingSecretSchema.nullable().optional(),
    status: webhookStatusSchema.optional(),
    retrySchedule: retryScheduleSchema.nullable().optional(),
    rateLimit: rateLimitSchema.nullable().optional(),
    maxInFlight: maxInFlightSchema.nullable().optional(),
    ordering: orderingSchema.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'at least one field must be given')
  .meta({ id: 'UpdateWebhook' });
