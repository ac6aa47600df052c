// Rewords the failed pull of a build's base image the way dockerd's classic
// builder does, because the raw cause (a DNS failure, a registry 404 body) does
// not tell the user that the image was looked for locally first.
import { EngineError, NotFoundError, UnavailableError, errorMessage } from '../common/errors';
import { RegistryError } from '../image/distribution/client';
import { familiarName, parseReference } from '../image/reference';

// Statuses with which a registry reports that a repository is missing or needs credentials.
const DENIED_STATUSES = [401, 403, 404];

function registryStatus(error: unknown): number | null {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof RegistryError) return current.status;
    current = current.cause;
  }
  return null;
}

function repositoryOf(reference: string): string {
  try {
    return familiarName(parseReference(reference));
  } catch {
    return reference;
  }
}

// Returns the error to report when reference is not in the store and pulling it failed with error.
export function basePullError(reference: string, error: unknown): EngineError {
  const status = registryStatus(error);
  if (status !== null && DENIED_STATUSES.includes(status)) {
    return new NotFoundError(`pull access denied for ${repositoryOf(reference)}, repository does not exist or may require 'docker login'`, { cause: error });
  }
  // The registry had the image, but not for the requested platform: that message is already precise.
  if (error instanceof NotFoundError) return error;
  return new UnavailableError(`failed to pull ${reference}: image not found locally and the registry could not be reached: ${errorMessage(error)}`, { cause: error });
}
