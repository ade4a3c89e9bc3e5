/**
 * One error hierarchy for berth. Every error has a stable `code` (see docs/errors.md), a message
 * that says what happened, and where it helps a `hint` that says what to do next.
 */
export const ERROR_CODES = [
  'not_found',
  'conflict',
  'invalid_input',
  'illegal_transition',
  'limit_reached',
  'engine_unavailable',
  'engine_error',
  'git_error',
  'image_error',
  'preview_error',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'upgrade_required',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
  }
}

export class NotFound extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('not_found', message, opts);
  }
}
export class Conflict extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('conflict', message, opts);
  }
}
export class InvalidInput extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('invalid_input', message, opts);
  }
}
export class IllegalTransition extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('illegal_transition', message, opts);
  }
}
export class LimitReached extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('limit_reached', message, opts);
  }
}
export class EngineUnavailable extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('engine_unavailable', message, opts);
  }
}
export class EngineError extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('engine_error', message, opts);
  }
}
export class GitError extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('git_error', message, opts);
  }
}
export class ImageError extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('image_error', message, opts);
  }
}
/** A preview's dev server could not be set up, or did not answer in time. */
export class PreviewError extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('preview_error', message, opts);
  }
}

export class Unauthorized extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('unauthorized', message, opts);
  }
}
export class Forbidden extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('forbidden', message, opts);
  }
}
export class RateLimited extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('rate_limited', message, opts);
  }
}

/** A WebSocket route asked for with a plain HTTP request: it answers only an upgrade. */
export class UpgradeRequired extends BerthError {
  constructor(message: string, opts?: ErrorOptions) {
    super('upgrade_required', message, opts);
  }
}

export function isBerthError(err: unknown): err is BerthError {
  return err instanceof BerthError;
}
