/**
 * Requests per minute per API key (per client address for requests without one): 429 with Retry-After
 * beyond it. Counted in this process's memory: a limit to blunt abuse, not a correctness guarantee, so N API
 * replicas allow up to N times the rate.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';

export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      if (auth) return `key:${crypto.createHash('sha256').update(auth).digest('hex')}`;
      return `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
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
