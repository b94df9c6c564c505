/** Classifies what the sender saw into an attempt outcome: 2xx is delivered, anything else is a failed attempt. */
import type { AttemptErrorClass } from '../store/model';
import { parseRetryAfter } from './retry-policy';
import type { SendResult } from './sender';

export interface ClassifiedOutcome {
  delivered: boolean;
  statusCode?: number;
  errorClass?: AttemptErrorClass;
  error?: string;
  durationMs: number;
  retryAfterSeconds?: number;
  timedOut: boolean;
  /** A blocked destination will be blocked again: no point retrying. */
  retryable: boolean;
}

export function classifyOutcome(result: SendResult, now: Date): ClassifiedOutcome {
  if (result.kind === 'error') {
    return {
      delivered: false,
      errorClass: result.errorClass,
      error: result.message,
      durationMs: result.durationMs,
      timedOut: result.errorClass === 'timeout',
      retryable: result.errorClass !== 'blocked',
    };
  }
  const { statusCode } = result;
  if (statusCode >= 200 && statusCode < 300) {
    return { delivered: true, statusCode, durationMs: result.durationMs, timedOut: false, retryable: false };
  }
  const redirect = statusCode >= 300 && statusCode < 400;
  return {
    delivered: false,
    statusCode,
    errorClass: redirect ? 'redirect' : 'http_status',
    error: redirect
      ? `HTTP ${statusCode}: redirects are not followed (Location: ${result.headers.location ?? 'none'})`
      : `HTTP ${statusCode}`,
    durationMs: result.durationMs,
    retryAfterSeconds: parseRetryAfter(result.headers['retry-after'], now),
    timedOut: false,
    retryable: true,
  };
}
