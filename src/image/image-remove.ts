// Decides what `docker rmi` does, following Docker's behaviour:
//
// - By name: the reference is untagged. When it was the last tag of its
//   repository, digest references of that repository go too. The image is
//   deleted only when no reference remains.
// - By ID: an image with one tag (all references in one repository) is
//   untagged and deleted; with tags in several repositories, only with force.
// - An image that a container uses is never untagged to nothing without force.
//
// Messages use the familiar reference form and the 12-character short IDs.
import { ConflictError } from '../common/errors';
import { shortId } from '../common/ids';
import { familiarize, isDigestReference, parseReference, repositoryName } from './reference';

export interface RemovalRequest {
  // The user's input, quoted in messages.
  input: string;
  imageId: string;
  // The normalized reference the input named, or null when the input was an ID or ID prefix.
  matchedReference: string | null;
  // Every normalized reference to the image.
  references: readonly string[];
  // A container using the image, if any.
  containerId: string | null;
  force: boolean;
}

export interface RemovalPlan {
  // Normalized references to remove, in the order Docker reports them.
  untag: string[];
  deleteImage: boolean;
}

export function planRemoval(request: RemovalRequest): RemovalPlan {
  const { imageId, references, containerId, force } = request;

  if (request.matchedReference !== null) {
    if (!force && containerId !== null && isSingleReference(references)) throw usedByContainer(request);

    const untag = [request.matchedReference];
    let remaining = references.filter((reference) => reference !== request.matchedReference);
    if (!isDigestReference(request.matchedReference)) {
      // The last tag of a repository takes that repository's digest references with it.
      const repository = repositoryOf(request.matchedReference);
      const tagLeft = remaining.some((reference) => !isDigestReference(reference) && repositoryOf(reference) === repository);
      if (!tagLeft) {
        const digests = remaining.filter((reference) => isDigestReference(reference) && repositoryOf(reference) === repository);
        untag.push(...digests);
        remaining = remaining.filter((reference) => !digests.includes(reference));
      }
    }
    if (remaining.length > 0) return { untag, deleteImage: false };
    return { untag, deleteImage: mayDelete(request) };
  }

  if (references.length > 0 && !isSingleReference(references) && !force) {
    throw new ConflictError(`conflict: unable to delete ${shortId(imageId)} (must be forced) - image is referenced in multiple repositories`);
  }
  if (!force && containerId !== null) throw usedByContainer(request);
  return { untag: [...references], deleteImage: mayDelete(request) };
}

// TODO: Docker deletes an image that only stopped containers use when forced
// (their layers stay), and refuses with "(cannot be forced) - image is being
// used by running container <id>" for a running one. The engine's usedBy
// callback does not say whether the container runs, and a container's root
// filesystem needs the image's layers, so a forced removal of a used image
// only untags it here.
function mayDelete(request: RemovalRequest): boolean {
  return request.containerId === null;
}

function usedByContainer(request: RemovalRequest): ConflictError {
  return new ConflictError(
    `conflict: unable to remove repository reference "${request.input}" (must force) - container ${shortId(request.containerId!)} is using its referenced image ${shortId(request.imageId)}`,
  );
}

// True when all references are in one repository and at most one is a tag (Docker's isSingleReference).
export function isSingleReference(references: readonly string[]): boolean {
  if (references.length <= 1) return references.length === 1;
  const repositories = new Set(references.map(repositoryOf));
  const tags = references.filter((reference) => !isDigestReference(reference));
  return repositories.size === 1 && tags.length <= 1;
}

function repositoryOf(normalized: string): string {
  return repositoryName(parseReference(normalized));
}

export function familiarReferences(normalized: readonly string[]): string[] {
  return normalized.map(familiarize);
}
