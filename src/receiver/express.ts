/**
 * Express middleware for receivers: reads the raw body (signatures are over the exact bytes), verifies it, then
 * sets `req.body` to the parsed payload. A failed check answers 401 and never reaches the handler.
 */
import express, { type RequestHandler } from 'express';
import { verifyWebhook, type VerifyOptions } from './verify';

export interface MiddlewareOptions extends VerifyOptions {
  /** Largest body accepted. Default 1 MB. */
  limit?: string | number;
}

export function docfloWebhookMiddleware(options: MiddlewareOptions): RequestHandler {
  const raw = express.raw({ type: () => true, limit: options.limit ?? '1mb' });
  return (req, res, next) => {
    raw(req, res, (err?: unknown) => {
      if (err) {
        next(err);
        return;
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const result = verifyWebhook(body, req.headers, options);
      if (!result.ok) {
        res.status(401).json({ error: 'Invalid signature', reason: result.reason });
        return;
      }
      try {
        req.body = JSON.parse(body.toString('utf8')) as unknown;
      } catch {
        res.status(400).json({ error: 'Body is not JSON' });
        return;
      }
      res.locals.docfloDelivery = { scheme: result.scheme, deliveryId: result.deliveryId };
      next();
    });
  };
}
