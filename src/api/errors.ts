/** The API's one error shape, `{ error: { code, message, details } }`, and the middleware that produces it. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  ConflictError,
  ConflictStateError,
  DependencyUnavailableError,
  HttpError,
  NotFoundError,
  ValidationError,
} from '../errors';
import type { Logger } from '../logger';
import { unavailableDependency } from '../temporal/unavailable';

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'not_found', 'No such route'));
};

/** body-parser's own errors, by their `type`. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed_json', 'The request body is not valid JSON'],
  'entity.too.large': [413, 'payload_too_large', 'The request body is too large'],
  'encoding.unsupported': [415, 'unsupported_media_type', 'Unsupported content encoding'],
  'charset.unsupported': [415, 'unsupported_media_type', 'Unsupported charset'],
};

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof NotFoundError) return new HttpError(404, err.apiCode, err.message);
  if (err instanceof ValidationError) {
    return new HttpError(400, 'validation_failed', `${err.field}: ${err.message}`, [
      { field: err.field, message: err.message },
    ]);
  }
  if (err instanceof ConflictStateError) return new HttpError(409, err.apiCode, err.message, err.details);
  if (err instanceof ConflictError) return new HttpError(409, 'conflict', err.message);
  if (err instanceof DependencyUnavailableError) return new HttpError(503, 'unavailable', err.message);
  const dependency = unavailableDependency(err);
  if (dependency) return toHttpError(new DependencyUnavailableError(dependency, { cause: err }));
  const type = (err as { type?: unknown }).type;
  if (typeof type === 'string' && BODY_ERRORS[type]) {
    const [status, code, message] = BODY_ERRORS[type];
    return new HttpError(status, code, message);
  }
  return undefined;
}

const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Never a stack trace or an internal message: unknown errors become a plain 500 and are logged instead. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const http = toHttpError(err);
    if (http) {
      if (http.status >= 500) logger.warn({ err }, 'dependency unavailable');
      // A 503 is the client's cue to retry the same request (events are idempotent on eventId).
      if (http.status === 503) res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      res
        .status(http.status)
        .json({ error: { code: http.code, message: http.message, details: http.details ?? null } });
      return;
    }
    logger.error({ err }, 'unhandled API error');
    res.status(500).json({ error: { code: 'internal', message: 'Internal server error', details: null } });
  };
}

/** Bodies are JSON: anything else sent with a body is refused before parsing. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    next(new HttpError(415, 'unsupported_media_type', 'Send the body as application/json'));
    return;
  }
  next();
};
