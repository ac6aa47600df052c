// Image references as Docker parses them (the grammar of the distribution
// project's "reference" package, which Docker uses): an optional
// registry host with port, a lowercase repository path, an optional tag and an
// optional digest. Names are stored normalized ("docker.io/library/busybox:latest")
// and shown in the familiar form ("busybox:latest").
import { InvalidArgumentError } from '../common/errors';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPOSITORY_PREFIX = 'library/';
const NAME_MAX_LENGTH = 255;

export interface ImageReference {
  // Registry host, with ":port" when given: "docker.io", "localhost:5000".
  domain: string;
  // Repository path inside the registry: "library/busybox".
  path: string;
  tag: string | null;
  // "sha256:<hex>" when the reference pins a manifest digest.
  digest: string | null;
}

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}';

const REFERENCE_PATTERN = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const TAG_PATTERN = new RegExp(`^${TAG}$`);
const FULL_ID_PATTERN = /^[a-f0-9]{64}$/;
const SHA256_DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

// Parses a reference the way `docker pull`, `docker tag` and the Engine API do:
// one-part names get "library/", names without a registry get "docker.io".
// Throws InvalidArgumentError with Docker's message on a malformed reference.
export function parseReference(input: string): ImageReference {
  if (FULL_ID_PATTERN.test(input)) {
    throw new InvalidArgumentError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }

  const { domain, remainder } = splitDomain(input);
  const remoteName = remainder.split(/[:@]/, 1)[0];
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidArgumentError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }

  const match = REFERENCE_PATTERN.exec(`${domain}/${remainder}`);
  if (!match) throw new InvalidArgumentError('invalid reference format');
  const [, name, tag, digest] = match;
  if (name.length > NAME_MAX_LENGTH) {
    throw new InvalidArgumentError(`invalid reference format: repository name must not be more than ${NAME_MAX_LENGTH} characters`);
  }
  if (digest !== undefined) validateDigest(digest);

  return { domain, path: remainder.slice(0, remoteName.length), tag: tag ?? null, digest: digest ?? null };
}

// Splits "host[:port]/path" the way Docker decides what a registry is: the
// first component is a registry only when it contains "." or ":", is
// "localhost", or has uppercase letters.
function splitDomain(input: string): { domain: string; remainder: string } {
  const slash = input.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let remainder = input;
  if (slash !== -1) {
    const first = input.slice(0, slash);
    const isRegistry = /[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first;
    if (isRegistry) {
      domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
      remainder = input.slice(slash + 1);
    }
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPOSITORY_PREFIX + remainder;
  return { domain, remainder };
}

// Applies go-digest's checks: only sha256, sha384 and sha512 exist, with lowercase hex of the right length.
function validateDigest(digest: string): void {
  const [algorithm, encoded] = digest.split(':');
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  const expected = lengths[algorithm];
  if (expected === undefined) throw new InvalidArgumentError(`invalid reference format: unsupported digest algorithm: ${digest}`);
  if (encoded.length !== expected) throw new InvalidArgumentError(`invalid reference format: invalid checksum digest length: ${digest}`);
  if (!/^[a-f0-9]+$/.test(encoded)) throw new InvalidArgumentError(`invalid reference format: invalid checksum digest format: ${digest}`);
}

// Adds the "latest" tag to a reference that has neither a tag nor a digest.
export function withDefaultTag(reference: ImageReference): ImageReference {
  if (reference.tag !== null || reference.digest !== null) return reference;
  return { ...reference, tag: DEFAULT_TAG };
}

// Returns "docker.io/library/busybox" for any reference to that repository.
export function repositoryName(reference: ImageReference): string {
  return `${reference.domain}/${reference.path}`;
}

// Returns the normalized string: "docker.io/library/busybox:latest".
export function formatReference(reference: ImageReference): string {
  let text = repositoryName(reference);
  if (reference.tag !== null) text += `:${reference.tag}`;
  if (reference.digest !== null) text += `@${reference.digest}`;
  return text;
}

// Returns the repository as users write it: "busybox", "user/app", "localhost:5000/app".
export function familiarName(reference: ImageReference): string {
  if (reference.domain !== DEFAULT_DOMAIN) return repositoryName(reference);
  const path = reference.path;
  if (path.startsWith(OFFICIAL_REPOSITORY_PREFIX) && !path.slice(OFFICIAL_REPOSITORY_PREFIX.length).includes('/')) {
    return path.slice(OFFICIAL_REPOSITORY_PREFIX.length);
  }
  return path;
}

// Returns the reference as users write it: "busybox:latest", "busybox@sha256:...".
export function familiarString(reference: ImageReference): string {
  let text = familiarName(reference);
  if (reference.tag !== null) text += `:${reference.tag}`;
  if (reference.digest !== null) text += `@${reference.digest}`;
  return text;
}

// Parses input and returns its normalized string with the default tag added.
export function normalizeReference(input: string): string {
  return formatReference(withDefaultTag(parseReference(input)));
}

// Turns a stored normalized reference into its familiar string.
export function familiarize(normalized: string): string {
  return familiarString(parseReference(normalized));
}

// True for a stored reference that names a manifest digest rather than a tag.
export function isDigestReference(normalized: string): boolean {
  return normalized.includes('@');
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST_PATTERN.test(value);
}
