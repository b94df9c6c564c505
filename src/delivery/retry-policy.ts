/**
 * When the next attempt happens. The schedule gives the base delay; a 429 or a timeout waits at least a
 * floor (the receiver is overloaded: hammering it helps nobody); Retry-After is honoured up to a cap; jitter
 * only ever adds (up to 20 %), so no retry comes earlier than the schedule promises.
 */
export interface RetryPolicy {
  /** Floor in seconds after a 429 or a timeout. */
  throttleFloorSeconds: number;
  /** Retry-After values above this are clamped. */
  maxRetryAfterSeconds: number;
  /** Fraction of the delay that jitter may add. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  throttleFloorSeconds: 60,
  maxRetryAfterSeconds: 24 * 3600,
  jitter: 0.2,
};

export interface FailureHints {
  statusCode?: number;
  timedOut: boolean;
  /** Seconds, already parsed from the Retry-After header. */
  retryAfterSeconds?: number;
}

export function retryDelayMs(
  scheduledSeconds: number,
  hints: FailureHints,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  let seconds = scheduledSeconds;
  if (hints.statusCode === 429 || hints.timedOut) seconds = Math.max(seconds, policy.throttleFloorSeconds);
  if (hints.retryAfterSeconds !== undefined) {
    seconds = Math.max(seconds, Math.min(hints.retryAfterSeconds, policy.maxRetryAfterSeconds));
  }
  const jittered = seconds * (1 + policy.jitter * random());
  return Math.round(jittered * 1000);
}

/** Retry-After is either delta-seconds or an HTTP date. Anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // HTTP dates always end in GMT; anything else (Date.parse reads '-5' as a year) is ignored.
  if (!/GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}
