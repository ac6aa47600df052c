// Docker Engine API versions: which ones berthd serves, how a request picks
// one (the /v1.xx/ path prefix), and how handlers compare them.
import { InvalidArgumentError } from '../common/errors';

// The newest API version served, which is also the version of requests without a prefix.
export const MAX_API_VERSION = '1.50';
// The oldest API version served, as in dockerd 28.
export const MIN_API_VERSION = '1.24';

// Compares dotted versions numerically ("1.9" < "1.24"). Returns -1, 0 or 1.
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

export function versionBelow(version: string, limit: string): boolean {
  return compareVersions(version, limit) < 0;
}

export function versionAtLeast(version: string, limit: string): boolean {
  return compareVersions(version, limit) >= 0;
}

export interface VersionedPath {
  apiVersion: string;
  // The path without the version prefix, always starting with "/".
  path: string;
}

const VERSION_PREFIX = /^\/v([0-9.]+)(\/.*)$/;

// Splits "/v1.41/containers/json" into "1.41" and "/containers/json". A path without a prefix
// gets the maximum version. The version is checked separately, after routing, as dockerd does.
export function splitVersionPrefix(rawPath: string): VersionedPath {
  const match = VERSION_PREFIX.exec(rawPath);
  if (!match) return { apiVersion: MAX_API_VERSION, path: rawPath };
  return { apiVersion: match[1], path: match[2] };
}

// Raises InvalidArgumentError (400) with dockerd's wording for versions outside the served range.
export function checkApiVersion(apiVersion: string): void {
  if (versionBelow(apiVersion, MIN_API_VERSION)) {
    throw new InvalidArgumentError(
      `client version ${apiVersion} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  if (compareVersions(apiVersion, MAX_API_VERSION) > 0) {
    throw new InvalidArgumentError(`client version ${apiVersion} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  }
}
