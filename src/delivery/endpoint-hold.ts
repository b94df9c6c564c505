/**
 * Endpoint-wide backoff. An endpoint that answers 429, or 503 with Retry-After, is asking its sender to wait,
 * not one delivery: every automatic attempt to it waits until then (manual redeliveries and test events go
 * anyway: a person asked for them). One that refuses the connection or times out is down for all of them:
 * they wait the failing delivery's retry delay, so a down endpoint gets one attempt per delay, not one per
 * delivery. Pure: the attempt activity applies it.
 */
import type { EndpointHold } from '../store/model';
import type { ClassifiedOutcome } from './outcome';
import { retryDelayMs, type RetryPolicy } from './retry-policy';

/** The longest an endpoint can hold its deliveries with one answer, whatever Retry-After it sends. */
export const ENDPOINT_HOLD_CEILING_SECONDS = 3600;

/**
 * The hold this outcome asks for, from `now`; undefined when it asks for none. `failureDelaySeconds`: the retry
 * delay the failing (automatic) attempt's delivery is next scheduled at, if it has one left.
 */
export function endpointHoldOf(
  outcome: ClassifiedOutcome,
  policy: RetryPolicy,
  now: Date,
  failureDelaySeconds?: number,
): EndpointHold | undefined {
  const down = !outcome.delivered && (outcome.errorClass === 'connection' || outcome.errorClass === 'timeout');
  if (down && failureDelaySeconds !== undefined && failureDelaySeconds > 0) {
    // The delay the retry policy gives this failure (a timeout's floor included), without its jitter.
    const delay = retryDelayMs(failureDelaySeconds, outcome, policy, () => 0) / 1000;
    const seconds = Math.min(delay, ENDPOINT_HOLD_CEILING_SECONDS);
    const reason = outcome.errorClass === 'timeout' ? 'timeout' : 'connection failed';
    return { until: new Date(now.getTime() + seconds * 1000), reason, askedSeconds: delay };
  }
  const asked =
    outcome.statusCode === 429
      ? (outcome.retryAfterSeconds ?? policy.throttleFloorSeconds)
      : outcome.statusCode === 503
        ? outcome.retryAfterSeconds
        : undefined;
  if (asked === undefined || asked <= 0) return undefined;
  const seconds = Math.min(asked, ENDPOINT_HOLD_CEILING_SECONDS, policy.maxRetryAfterSeconds);
  return { until: new Date(now.getTime() + seconds * 1000), reason: `HTTP ${outcome.statusCode}`, askedSeconds: asked };
}

/** The hold that stops an automatic attempt now, if one does. */
export function activeHold(hold: EndpointHold | undefined, now: Date): EndpointHold | undefined {
  return hold && hold.until.getTime() > now.getTime() ? hold : undefined;
}
