import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs } from '../../src/delivery/retry-policy';

const noJitter = (): number => 0;
const maxJitter = (): number => 0.999999;

describe('retryDelayMs', () => {
  test('uses the scheduled delay, and jitter only ever adds, by at most 20 %', () => {
    expect(retryDelayMs(300, { timedOut: false, statusCode: 503 }, DEFAULT_RETRY_POLICY, noJitter)).toBe(300_000);
    const high = retryDelayMs(300, { timedOut: false, statusCode: 503 }, DEFAULT_RETRY_POLICY, maxJitter);
    expect(high).toBeGreaterThan(300_000);
    expect(high).toBeLessThanOrEqual(360_000);
  });

  test('waits at least 60 s after a 429 or a timeout', () => {
    expect(retryDelayMs(5, { timedOut: false, statusCode: 429 }, DEFAULT_RETRY_POLICY, noJitter)).toBe(60_000);
    expect(retryDelayMs(5, { timedOut: true }, DEFAULT_RETRY_POLICY, noJitter)).toBe(60_000);
    expect(retryDelayMs(5, { timedOut: false, statusCode: 500 }, DEFAULT_RETRY_POLICY, noJitter)).toBe(5_000);
  });

  test('honours Retry-After when longer than the schedule, clamped to the cap', () => {
    expect(
      retryDelayMs(5, { timedOut: false, statusCode: 503, retryAfterSeconds: 120 }, DEFAULT_RETRY_POLICY, noJitter),
    ).toBe(120_000);
    expect(
      retryDelayMs(600, { timedOut: false, statusCode: 503, retryAfterSeconds: 1 }, DEFAULT_RETRY_POLICY, noJitter),
    ).toBe(600_000);
    expect(
      retryDelayMs(5, { timedOut: false, statusCode: 429, retryAfterSeconds: 10 ** 9 }, DEFAULT_RETRY_POLICY, noJitter),
    ).toBe(DEFAULT_RETRY_POLICY.maxRetryAfterSeconds * 1000);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  test('reads delta-seconds and HTTP dates, ignores garbage', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
