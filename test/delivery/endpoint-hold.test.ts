/** Which answers hold a whole endpoint, and for how long (src/delivery/endpoint-hold.ts). */
import { activeHold, endpointHoldOf, ENDPOINT_HOLD_CEILING_SECONDS } from '../../src/delivery/endpoint-hold';
import type { ClassifiedOutcome } from '../../src/delivery/outcome';
import { DEFAULT_RETRY_POLICY } from '../../src/delivery/retry-policy';

const now = new Date('2026-12-06T10:00:00Z');
const failed = (statusCode: number | undefined, more: Partial<ClassifiedOutcome> = {}): ClassifiedOutcome => ({
  delivered: false,
  statusCode,
  durationMs: 5,
  timedOut: false,
  retryable: true,
  ...more,
});
const seconds = (o: ClassifiedOutcome) => {
  const hold = endpointHoldOf(o, DEFAULT_RETRY_POLICY, now);
  return hold ? (hold.until.getTime() - now.getTime()) / 1000 : undefined;
};

test('a 429 holds for its Retry-After, or the throttle floor without one; a 503 only with Retry-After', () => {
  expect(seconds(failed(429, { retryAfterSeconds: 20 }))).toBe(20);
  expect(seconds(failed(429))).toBe(DEFAULT_RETRY_POLICY.throttleFloorSeconds);
  expect(seconds(failed(503, { retryAfterSeconds: 30 }))).toBe(30);
  expect(seconds(failed(503))).toBeUndefined();
  expect(seconds(failed(500, { retryAfterSeconds: 30 }))).toBeUndefined();
  expect(seconds(failed(undefined, { errorClass: 'timeout', timedOut: true }))).toBeUndefined();
  expect(seconds({ ...failed(200), delivered: true })).toBeUndefined();
  expect(seconds(failed(429, { retryAfterSeconds: 0 }))).toBeUndefined();
});

test('no answer holds an endpoint longer than the ceiling; it says what it asked', () => {
  const hold = endpointHoldOf(failed(429, { retryAfterSeconds: 86_400 }), DEFAULT_RETRY_POLICY, now);
  expect(hold).toMatchObject({ reason: 'HTTP 429', askedSeconds: 86_400 });
  expect(seconds(failed(429, { retryAfterSeconds: 86_400 }))).toBe(ENDPOINT_HOLD_CEILING_SECONDS);
});

test('a hold stops attempts only until it ends', () => {
  const hold = { until: new Date(now.getTime() + 1000), reason: 'HTTP 429', askedSeconds: 1 };
  expect(activeHold(hold, now)).toBe(hold);
  expect(activeHold(hold, new Date(now.getTime() + 1000))).toBeUndefined();
  expect(activeHold(undefined, now)).toBeUndefined();
});

test('a refused connection or a timeout holds the endpoint for the failing delivery’s retry delay', () => {
  const hold = (o: ClassifiedOutcome, delay?: number) => {
    const h = endpointHoldOf(o, DEFAULT_RETRY_POLICY, now, delay);
    return h ? { seconds: (h.until.getTime() - now.getTime()) / 1000, reason: h.reason } : undefined;
  };
  const refused = failed(undefined, { errorClass: 'connection' });
  expect(hold(refused, 300)).toEqual({ seconds: 300, reason: 'connection failed' });
  // A timeout's delay has the retry policy's floor, as its retry does.
  const timedOut = failed(undefined, { errorClass: 'timeout', timedOut: true });
  expect(hold(timedOut, 5)).toEqual({ seconds: DEFAULT_RETRY_POLICY.throttleFloorSeconds, reason: 'timeout' });
  // The last attempt (no delay left), a manual one (none given), other failures: no hold.
  expect(hold(refused, undefined)).toBeUndefined();
  expect(hold(refused, 0)).toBeUndefined();
  expect(hold(failed(500), 300)).toBeUndefined();
  expect(hold(failed(undefined, { errorClass: 'tls' }), 300)).toBeUndefined();
  // Never past the ceiling.
  expect(hold(refused, 86_400)?.seconds).toBe(ENDPOINT_HOLD_CEILING_SECONDS);
});
