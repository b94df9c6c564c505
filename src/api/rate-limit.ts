/**
 * Requests per minute per authenticated identity: a tenant's API key (by its ID), the operator key or the
 * platform key, whatever spelling of the Authorization header carried it; per client address for requests
 * without a key. 429 with Retry-After beyond it. Runs after identifyCaller, so a failed authentication is
 * counted by the failed-authentication limit instead (auth-failures.ts). Counted in this process's memory: a
 * limit to blunt abuse, not a correctness guarantee, so N API replicas allow up to N times the rate.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Caller } from './auth';
import { clientAddressKey } from './auth-failures';

export function rateLimitKey(caller: Caller | undefined, req: Parameters<typeof clientAddressKey>[0]): string {
  switch (caller?.role) {
    case 'tenant':
      return `key:${caller.keyId}`;
    case 'admin':
      return 'admin';
    case 'platform':
      return 'platform';
    default:
      return `ip:${clientAddressKey(req)}`;
  }
}

export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req, res) => rateLimitKey(res.locals.caller as Caller | undefined, req),
    handler: (req, res) => {
      const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      res.setHeader('Retry-After', String(seconds));
      res.status(429).json({
        error: {
          code: 'rate_limited',
          message: `Too many requests: at most ${perMinute} a minute per API key`,
          details: { retryAfterSeconds: seconds },
        },
      });
    },
  });
}
