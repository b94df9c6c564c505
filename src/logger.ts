/** The one pino logger. Redaction covers every place a credential or secret could appear in a log line. */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Fields of a request body, a record or an error that can hold a credential or a secret. */
const SECRET_FIELDS = [
  'password',
  'token',
  'key',
  'secret',
  'signingSecret',
  'apiKey',
  'api_key',
  'accessToken',
  'access_token',
  'clientSecret',
  'client_secret',
  'authorization',
  'cookie',
];
/** Headers that can carry a credential (a webhook's own API-key header is redacted by name where it is used). */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
/** Up to this many levels deep: `token`, `auth.token`, `body.auth.token`, `req.body.auth.token`. */
const DEPTHS = ['', '*.', '*.*.', '*.*.*.'];

export const REDACTED_PATHS = [
  ...DEPTHS.flatMap((depth) => SECRET_FIELDS.map((field) => `${depth}${field}`)),
  ...DEPTHS.flatMap((depth) => SECRET_HEADERS.map((header) => `${depth}headers["${header}"]`)),
  // Every credential of a webhook's auth settings, whatever its name.
  ...DEPTHS.map((depth) => `${depth}auth.*`),
  // Raw request bodies and query strings: body-parser errors carry the body text.
  'body',
  'query',
  '*.body',
  '*.query',
];

export function createLogger(options: { level: string; name?: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'docflo-webhooks',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
