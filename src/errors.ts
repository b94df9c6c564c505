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
