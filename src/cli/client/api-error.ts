// Errors of the API client: the daemon's error responses and an unreachable socket.
import http from 'node:http';

// The daemon returned an error status. The message reads as docker prints it.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly daemonMessage: string,
  ) {
    super(`Error response from daemon: ${daemonMessage}`);
  }
}

// The socket is missing or nothing listens on it.
export class DaemonUnreachableError extends Error {
  constructor(
    readonly socketPath: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`connect to ${socketPath}: ${code}`, options);
  }
}

// Builds an ApiError from an error response's body.
export function errorFromBody(status: number, body: Buffer, route: string): ApiError {
  const text = body.toString('utf8').trim();
  if (text === '') {
    return new ApiError(status, `request returned ${status} ${http.STATUS_CODES[status] ?? ''} for API route ${route}, check if the server supports the requested API version`);
  }
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return new ApiError(status, parsed.message);
  } catch {
    // Not JSON: the text itself is the message.
  }
  return new ApiError(status, text);
}

