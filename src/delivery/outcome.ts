/** Classifies what the sender saw into an attempt outcome: 2xx is delivered, anything else is a failed attempt. */
import type { AttemptErrorClass, AttemptRecord } from '../store/model';
import { answerOf, type RedeliveryAnswer } from './fate';
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

/** What an attempt's record keeps of its send and classified outcome (the caller adds the request headers). */
export function recordedOutcome(
  sent: SendResult,
  outcome: ClassifiedOutcome,
): Pick<AttemptRecord, 'delivered' | 'durationMs'> &
  Partial<
    Pick<
      AttemptRecord,
      'statusCode' | 'responseBody' | 'responseBodyTruncated' | 'errorClass' | 'error' | 'retryAfterSeconds'
    >
  > {
  return {
    delivered: outcome.delivered,
    statusCode: outcome.statusCode,
    responseBody: sent.kind === 'response' ? sent.body : undefined,
    responseBodyTruncated: sent.kind === 'response' ? sent.bodyTruncated : undefined,
    durationMs: outcome.durationMs,
    errorClass: outcome.errorClass,
    error: outcome.error,
    retryAfterSeconds: outcome.retryAfterSeconds,
  };
}

/** The one log line per attempt, the same for every kind of attempt activity. */
export function attemptLogFields(deliveryId: string, attempt: number, outcome: ClassifiedOutcome) {
  return {
    deliveryId,
    attempt,
    delivered: outcome.delivered,
    statusCode: outcome.statusCode,
    errorClass: outcome.errorClass,
    durationMs: outcome.durationMs,
  };
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

/** A recorded attempt's outcome, as classifyOutcome would have given it. */
export function outcomeOfRecord(
  a: Pick<AttemptRecord, 'delivered' | 'statusCode' | 'errorClass' | 'error' | 'durationMs' | 'retryAfterSeconds'>,
): ClassifiedOutcome {
  return {
    delivered: a.delivered,
    statusCode: a.statusCode,
    errorClass: a.errorClass,
    error: a.error,
    durationMs: a.durationMs,
    retryAfterSeconds: a.retryAfterSeconds,
    timedOut: a.errorClass === 'timeout',
    retryable: a.errorClass !== 'blocked',
  };
}

/** A recorded attempt as the answer to the redelivery request it made: `in_progress` while it is being sent. */
export function answerOfRecord(a: AttemptRecord): RedeliveryAnswer {
  if (a.state === 'sending') return { kind: 'in_progress', attempt: a.attempt };
  return answerOf({ attempt: a.attempt, ...outcomeOfRecord(a) });
}
