/** The API's one error shape, `{ error: { code, message, details } }`, and the middleware that produces it. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'not_found', 'No such route'));
};

/** Never a stack trace or an internal message: unknown errors become a plain 500 and are logged instead. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details ?? null } });
      return;
    }
    logger.error({ err }, 'unhandled API error');
    res.status(500).json({ error: { code: 'internal', message: 'Internal server error', details: null } });
  };
}
