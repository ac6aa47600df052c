// Checks registry credentials for `docker login` (POST /auth): GET /v2/ on
// the registry, then meet its challenge. Basic credentials are sent to the
// registry, and for a Bearer challenge a token without a repository scope is
// requested from the token server. Nothing is stored, because the CLI keeps the credentials.
import type { RegistrySettings } from '../../common/config';
import type { Logger } from '../../common/logger';
import { InvalidArgumentError, UnauthorizedError } from '../../common/errors';
import { DEFAULT_DOMAIN } from '../reference';
import { EndpointUnreachableError, RegistryClient, RegistryError } from './client';
import { resolveEndpoints } from './endpoints';
import type { RegistryCredentials } from './auth';

export interface LoginOptions {
  registry: RegistrySettings;
  certsDirectories: string[];
}

// Docker's clients name Docker Hub by its legacy index URL.
const DOCKER_HUB_ADDRESSES = new Set(['', 'docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'https://index.docker.io/v1']);
const DOCKER_HUB_HOSTS = new Set(['index.docker.io', 'registry-1.docker.io', 'docker.io']);

// Returns the registry host ("127.0.0.1:5000", "docker.io") that serverAddress names.
export function loginDomain(serverAddress: string): string {
  const trimmed = serverAddress.trim();
  if (DOCKER_HUB_ADDRESSES.has(trimmed)) return DEFAULT_DOMAIN;
  const withoutScheme = trimmed.replace(/^https?:\/\//, '');
  const host = withoutScheme.split('/')[0];
  if (host === '') throw new InvalidArgumentError(`invalid server address "${serverAddress}": expected host[:port]`);
  return DOCKER_HUB_HOSTS.has(host) ? DEFAULT_DOMAIN : host;
}

// Resolves when the registry accepts the credentials; throws UnauthorizedError with Docker's message otherwise.
export async function checkLogin(serverAddress: string, credentials: RegistryCredentials, options: LoginOptions, logger: Logger): Promise<void> {
  const domain = loginDomain(serverAddress);
  if (domain === DEFAULT_DOMAIN && options.registry.mirrorsOnly) {
    throw new InvalidArgumentError('login to docker.io: mirrorsOnly is set, so docker.io is never contacted');
  }
  // Logins go to the registry itself, never to a mirror.
  const endpoints = resolveEndpoints(domain, { registry: { ...options.registry, mirrors: [] }, certsDirectories: options.certsDirectories });

  for (const [index, endpoint] of endpoints.entries()) {
    const client = new RegistryClient(endpoint, '', credentials, [], logger);
    const url = `${endpoint.url}/v2/`;
    try {
      const response = await client.request('GET', url, { expect: [200] });
      response.body.resume();
      logger.info({ registry: domain, endpoint: endpoint.url }, 'registry login succeeded');
      return;
    } catch (error) {
      if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
        throw new UnauthorizedError(`login attempt to ${url} failed with status: ${error.status} ${error.status === 401 ? 'Unauthorized' : 'Forbidden'}`, { cause: error });
      }
      if (index === endpoints.length - 1 || !(error instanceof EndpointUnreachableError)) throw error;
      logger.warn({ endpoint: endpoint.url, err: error }, 'login to endpoint failed; trying the next endpoint');
    } finally {
      client.close();
    }
  }
}
