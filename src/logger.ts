/** The one pino logger. Redaction covers every place a credential or secret could appear in a log line. */
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'password',
  'token',
  'key',
  'secret',
  'signingSecret',
  'apiKey',
  'authorization',
  '*.password',
  '*.token',
  '*.key',
  '*.secret',
  '*.signingSecret',
  '*.apiKey',
  '*.authorization',
  '*.*.password',
  '*.*.token',
  '*.*.key',
  '*.*.signingSecret',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'auth.*',
  '*.auth.*',
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
