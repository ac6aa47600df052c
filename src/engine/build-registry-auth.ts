// Picks the credentials for one image out of POST /build's X-Registry-Config
// header: base64 JSON of a map from registry address to auth config, as the
// docker CLI sends it for every registry it has a login for.
import { InvalidArgumentError } from '../common/errors';
import { DEFAULT_DOMAIN, parseReference } from '../image/reference';

// The docker CLI stores Docker Hub logins under this address, not under "docker.io".
const DOCKER_HUB_ADDRESSES = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

// Returns an X-Registry-Auth header value (base64 JSON of one auth config)
// for the registry of reference, or null when the header contains none for it.
export function registryAuthFor(registryConfig: string | null, reference: string): string | null {
  if (registryConfig === null || registryConfig.trim() === '') return null;

  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(registryConfig.trim(), 'base64').toString('utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`invalid X-Registry-Config header: expected base64-encoded JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('invalid X-Registry-Config header: expected a JSON object of auth configs by registry');
  }

  const domain = parseReference(reference).domain;
  const entries = parsed as Record<string, unknown>;
  for (const [address, value] of Object.entries(entries)) {
    if (!matchesRegistry(address, domain)) continue;
    if (typeof value !== 'object' || value === null) continue;
    return Buffer.from(JSON.stringify(withUsernameAndPassword(value as Record<string, unknown>))).toString('base64');
  }
  return null;
}

// Compares a key of the header ("https://registry.example:5000/v1/", "registry.example:5000") with a reference's domain.
function matchesRegistry(address: string, domain: string): boolean {
  if (domain === DEFAULT_DOMAIN) return DOCKER_HUB_ADDRESSES.includes(address) || hostOf(address) === domain;
  return hostOf(address) === domain;
}

function hostOf(address: string): string {
  return address.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

// The CLI may send only "auth" (base64 of "user:password"), but the pull code reads username and password.
function withUsernameAndPassword(config: Record<string, unknown>): Record<string, unknown> {
  if (typeof config.username === 'string' && config.username !== '') return config;
  if (typeof config.auth !== 'string' || config.auth === '') return config;
  const decoded = Buffer.from(config.auth, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator === -1) return config;
  return { ...config, username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}
