// Image references as docker's distribution/reference package reads them:
// "busybox" is docker.io/library/busybox, "foo/bar:1" is docker.io/foo/bar:1,
// and a first component with a dot, a colon or "localhost" is a registry.

export interface ImageReference {
  domain: string;
  // Repository path inside the registry, "library/busybox".
  path: string;
  tag: string | null;
  digest: string | null;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

export class InvalidReferenceError extends Error {}

function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isDomain = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first);
  let domain = isDomain ? first : DEFAULT_DOMAIN;
  let path = isDomain ? name.slice(slash + 1) : name;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  return { domain, path };
}

// Parses and normalizes a reference. Throws InvalidReferenceError with docker's wording.
export function parseReference(text: string): ImageReference {
  if (text === '') throw new InvalidReferenceError('invalid reference format');
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidReferenceError('invalid reference format');
  }

  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError('invalid reference format');
  }

  const { domain, path } = splitDomain(rest);
  if (!DOMAIN.test(domain)) throw new InvalidReferenceError('invalid reference format');
  if (path.toLowerCase() !== path) throw new InvalidReferenceError(`invalid reference format: repository name (${path}) must be lowercase`);
  if (!path.split('/').every((component) => PATH_COMPONENT.test(component))) throw new InvalidReferenceError('invalid reference format');
  if (domain.length + 1 + path.length > 255) throw new InvalidReferenceError('invalid reference format: repository name must not be more than 255 characters');
  return { domain, path, tag, digest };
}

// "docker.io/library/busybox" → "busybox" and "docker.io/foo/bar" → "foo/bar", while other registries stay whole.
export function familiarName(reference: ImageReference): string {
  if (reference.domain !== DEFAULT_DOMAIN) return `${reference.domain}/${reference.path}`;
  const path = reference.path;
  if (path.startsWith(OFFICIAL_PREFIX) && path.indexOf('/', OFFICIAL_PREFIX.length) === -1) return path.slice(OFFICIAL_PREFIX.length);
  return path;
}

export function familiarString(reference: ImageReference): string {
  return familiarName(reference) + (reference.tag !== null ? `:${reference.tag}` : '') + (reference.digest !== null ? `@${reference.digest}` : '');
}

export function normalizedName(reference: ImageReference): string {
  return `${reference.domain}/${reference.path}`;
}

// Adds the "latest" tag to a reference with neither tag nor digest, as docker run and pull do.
export function withDefaultTag(reference: ImageReference): ImageReference {
  if (reference.tag !== null || reference.digest !== null) return reference;
  return { ...reference, tag: 'latest' };
}

// Reads a familiar string and returns it normalized, or null when it is not a valid reference.
export function tryParseReference(text: string): ImageReference | null {
  try {
    return parseReference(text);
  } catch {
    return null;
  }
}
