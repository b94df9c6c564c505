/** Named error classes with a stable `code`, so callers and the API can branch on kind, not on message text. */

export class DocfloError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration is invalid; the message names every offending variable. */
export class ConfigError extends DocfloError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** Local infrastructure could not start; `fix` tells the user what to do about it. */
export class InfraError extends DocfloError {
  constructor(
    code: string,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${message}\n  Fix: ${fix}`, options);
  }
}

/** Input that is well-formed but not acceptable; the API answers 400 naming the field. */
export class ValidationError extends DocfloError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('VALIDATION_FAILED', message);
  }
}

/** A resource the caller named does not exist (or belongs to another tenant): HTTP 404. */
export class NotFoundError extends DocfloError {
  constructor(
    what: string,
    readonly apiCode = 'not_found',
  ) {
    super('NOT_FOUND', `${what} not found`);
  }
}

/** The request is valid but the resource is in a state that forbids it: HTTP 409. */
export class ConflictStateError extends DocfloError {
  constructor(
    message: string,
    readonly apiCode = 'conflict',
    readonly details?: unknown,
  ) {
    super('CONFLICT', message);
  }
}

/** A record with the same unique key already exists: HTTP 409. */
export class ConflictError extends DocfloError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** A server this request needs (the store, Temporal) did not answer in time: HTTP 503, safe to retry. */
export class DependencyUnavailableError extends DocfloError {
  constructor(
    readonly dependency: 'store' | 'temporal',
    options?: { cause?: unknown },
  ) {
    super('UNAVAILABLE', `${dependency === 'store' ? 'the store' : 'Temporal'} is unavailable; retry shortly`, options);
  }
}

/** An error the API answers as is: status, stable code, message and optional details. */
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
