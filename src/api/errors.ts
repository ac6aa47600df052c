// Maps the engine's error kinds to the HTTP status codes dockerd uses.
import { errorKind, type ErrorKind } from '../common/errors';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  'not-found': 404,
  conflict: 409,
  'invalid-argument': 400,
  'not-implemented': 501,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  // dockerd responds with 304 when an object is already in the requested state (start of a running container).
  'not-modified': 304,
  internal: 500,
};

export function httpStatusForError(error: unknown): number {
  return STATUS_BY_KIND[errorKind(error)];
}
