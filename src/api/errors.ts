/** The API's one error shape, `{ error: { code, message, details } }`, and the middleware that produces it. */
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { ZodError } from 'zod';
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
import { validationError } from './router';

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'not_found', 'No such route'));
};

/** body-parser's own errors, by their `type`. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed_json', 'The request body is not valid JSON'],
  'entity.too.large': [413, 'payload_too_large', 'The request body is too large'],
  'encoding.unsupported': [
    415,
    'unsupported_media_type',
    'Unsupported Content-Encoding: send identity, gzip, deflate or br',
  ],
  'charset.unsupported': [415, 'unsupported_media_type', 'Unsupported charset: send the body as UTF-8'],
  'request.aborted': [400, 'malformed_body', 'The request body ended before it was complete'],
  'request.size.invalid': [400, 'malformed_body', 'The request body does not match its Content-Length'],
};

/** The code of a client error that carries no `type` of ours (http-errors from Express middleware), by status. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'malformed_body',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

function clientErrorStatus(err: unknown): number | undefined {
  const { status, statusCode, expose } = (err ?? {}) as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 && expose !== false ? value : undefined;
}

/**
 * Maps every error a client's request can cause to its 4xx: our own errors, zod validation, a path parameter
 * that is not valid percent-encoding, and body-parser's reading, decoding and parsing failures. Anything else
 * is ours, and a 500.
 */
export function toHttpError(err: unknown, req?: Pick<Request, 'headers'>): HttpError | undefined {
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
  // The store or Temporal did not answer: the request was not carried out, and the same request may be retried.
  const dependency = unavailableDependency(err);
  if (dependency) return toHttpError(new DependencyUnavailableError(dependency, { cause: err }));
  // A schema below the API's own refused the input (the API validates first, so this is a client's input).
  if (err instanceof ZodError) return validationError(err, 'body');
  // The router decodes path parameters before any handler runs: %ZZ or a lone %E0 is the client's mistake.
  if (err instanceof URIError) {
    const message = 'a path parameter is not valid percent-encoding';
    return new HttpError(400, 'validation_failed', `path: ${message}`, [{ field: 'path', message }]);
  }
  const type = (err as { type?: unknown } | undefined)?.type;
  if (typeof type === 'string' && BODY_ERRORS[type]) {
    const [status, code, message] = BODY_ERRORS[type];
    return new HttpError(status, code, message);
  }
  const status = clientErrorStatus(err);
  if (status === undefined) return undefined;
  // What is left of body-parser's errors: a body that does not decode as its Content-Encoding says.
  const encoding = req?.headers['content-encoding'];
  let message = err instanceof Error && err.message ? err.message : 'Bad request';
  if (status === 400 && typeof encoding === 'string' && /^[a-z0-9-]{1,20}$/i.test(encoding.trim())) {
    message = `The request body is not valid ${encoding.trim().toLowerCase()} (its Content-Encoding)`;
  } else if (status === 400 || status === 413 || status === 415) {
    message = 'The request body could not be read';
  }
  return new HttpError(status, CODE_BY_STATUS[status] ?? 'bad_request', message);
}

const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Never a stack trace or an internal message: unknown errors become a plain 500 and are logged instead. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const http = toHttpError(err, req);
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
