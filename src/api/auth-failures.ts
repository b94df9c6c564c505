/**
 * Failed authentications per client address: beyond the limit in a minute, every request from that address
 * that presents a key is a 429 until the minute is over, whether its key is valid or not (answering a valid
 * key differently would let the guessing go on). Keys cannot be guessed at speed.
 *
 * An attempt reserves its place before the key is looked up and settles as a failure or not once it is, so a
 * burst of concurrent guesses cannot overtake the count. Counted in this process's memory, like the per-key
 * limit: N API replicas allow up to N times the rate.
 */
import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

export interface AuthAttempt {
  /** The key was valid, or the lookup failed for a reason of ours: not a failure. */
  release(): void;
  /** The key was invalid or the header malformed. */
  fail(): void;
}

export type AuthAttemptVerdict =
  { allowed: true; attempt: AuthAttempt } | { allowed: false; retryAfterSeconds: number };

interface Window {
  resetAt: number;
  failures: number;
  /** Attempts whose key is being looked up right now. */
  pending: number;
}

export class FailedAuthLimiter {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {}

  /** Begins an authentication from `address` (see clientAddressKey), or refuses it while over the limit. */
  begin(address: string): AuthAttemptVerdict {
    const now = this.now();
    this.sweep(now);
    let window = this.windows.get(address);
    if (!window || now >= window.resetAt) {
      window = { resetAt: now + this.windowMs, failures: 0, pending: window?.pending ?? 0 };
      this.windows.set(address, window);
    }
    if (window.failures + window.pending >= this.perMinute) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
    }
    window.pending++;
    let settled = false;
    const settle = (failed: boolean): void => {
      if (settled) return;
      settled = true;
      const current = this.windows.get(address);
      if (!current) return;
      current.pending = Math.max(0, current.pending - 1);
      if (failed) current.failures++;
    };
    return { allowed: true, attempt: { release: () => settle(false), fail: () => settle(true) } };
  }

  /** How many addresses are being tracked (for tests). */
  get size(): number {
    return this.windows.size;
  }

  /** Forgets finished windows, at most once a window. */
  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.windowMs;
    for (const [address, window] of this.windows) {
      if (now >= window.resetAt && window.pending === 0) this.windows.delete(address);
    }
  }
}

/** The client's address as Express sees it (trust proxy decides), IPv6 grouped by /56 like the per-key limit. */
export function clientAddressKey(req: Pick<Request, 'ip'>): string {
  return req.ip ? ipKeyGenerator(req.ip) : 'unknown';
}
