// The engine's error kinds. Core modules throw these with the object and the
// operation in the message ("start container 3f2a...: ..."); only the API
// layer turns a kind into an HTTP status code.

export type ErrorKind =
  | 'not-found'
  | 'conflict'
  | 'invalid-argument'
  | 'not-implemented'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'not-modified'
  | 'internal';

export class EngineError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
  }
}

export class NotFoundError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not-found', message, options);
  }
}

export class ConflictError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

export class InvalidArgumentError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-argument', message, options);
  }
}

export class NotImplementedError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not-implemented', message, options);
  }
}

export class UnauthorizedError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unauthorized', message, options);
  }
}

export class ForbiddenError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('forbidden', message, options);
  }
}

export class UnavailableError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
  }
}

// The requested state is the object's current state (HTTP 304 in Docker's API: stop of a stopped container).
export class NotModifiedError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not-modified', message, options);
  }
}

// Returns the kind of any thrown value; errors that are not EngineErrors are internal.
export function errorKind(error: unknown): ErrorKind {
  return error instanceof EngineError ? error.kind : 'internal';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// True for a Node.js system error with the given code, such as 'ENOENT'.
export function hasErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
