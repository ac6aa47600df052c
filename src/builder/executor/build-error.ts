// The error a failed build ends with. The API route sends it to the client as
// {"errorDetail":{"code":..,"message":..},"error":..}. The code is the failing
// RUN's exit code, or 1 for every other failure, as Docker's classic builder reports it.
export class BuildError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

// Prefixes the Dockerfile name and line to a step's error unless the message already starts with them.
export function stepError(fileName: string, line: number, error: unknown): BuildError {
  if (error instanceof BuildError) return error;

  const message = error instanceof Error ? error.message : String(error);
  const prefix = `${fileName}:${line}: `;
  return new BuildError(message.startsWith(prefix) ? message : `${prefix}${message}`, 1);
}
