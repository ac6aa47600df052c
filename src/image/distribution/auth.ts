// Registry credentials and the WWW-Authenticate flow of the Docker registry
// API: a 401 names a scheme. Basic is met with the credentials, and Bearer
// by requesting from the token server in the challenge's realm for a token with the
// needed scope ("repository:library/busybox:pull,push").
import { InvalidArgumentError } from '../../common/errors';

export type RegistryCredentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; identityToken: string };

// Decodes the X-Registry-Auth header: base64url (padded or not) of
// {"username","password","serveraddress"} or {"identitytoken"}. Returns null
// for an absent or empty header and for "{}", which clients send without a login.
export function parseRegistryAuth(header: string | null | undefined): RegistryCredentials | null {
  if (header === null || header === undefined || header.trim() === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`invalid X-Registry-Auth header: expected base64url-encoded JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidArgumentError('invalid X-Registry-Auth header: expected a JSON object');
  const fields = parsed as Record<string, unknown>;
  const identityToken = stringField(fields, 'identitytoken');
  if (identityToken) return { kind: 'identity-token', identityToken };
  const username = stringField(fields, 'username');
  const password = stringField(fields, 'password');
  if (!username && !password) return null;
  return { kind: 'basic', username, password };
}

// Docker's clients spell the fields in lowercase; older ones capitalize them.
function stringField(fields: Record<string, unknown>, name: string): string {
  for (const [key, value] of Object.entries(fields)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return '';
}

export interface Challenge {
  scheme: string;
  parameters: Record<string, string>;
}

// Parses `Bearer realm="https://auth",service="registry",scope="repository:x:pull"`.
// Handles one challenge per header, which is what registries send.
export function parseChallenge(header: string): Challenge | null {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!match) return null;
  const parameters: Record<string, string> = {};
  const pattern = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (const part of match[2].matchAll(pattern)) {
    parameters[part[1].toLowerCase()] = part[2] !== undefined ? part[2].replace(/\\(.)/g, '$1') : part[3];
  }
  return { scheme: match[1].toLowerCase(), parameters };
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

// The token server's URL for a challenge and scopes, as the token
// specification of the distribution project defines its query.
export function tokenRequestUrl(challenge: Challenge, scopes: string[], credentials: RegistryCredentials | null): URL {
  const realm = challenge.parameters.realm;
  if (!realm) throw new InvalidArgumentError('registry authentication: the Bearer challenge has no realm');
  const url = new URL(realm);
  if (challenge.parameters.service) url.searchParams.set('service', challenge.parameters.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  if (credentials?.kind === 'basic' && credentials.username) url.searchParams.set('account', credentials.username);
  return url;
}

// Picks the token from a token server's response, which uses "token" or "access_token".
export function tokenFromResponse(body: Buffer, realm: string): string {
  let parsed: { token?: unknown; access_token?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`registry authentication: token server ${realm} returned invalid JSON`, { cause: error });
  }
  const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
  if (typeof token !== 'string' || token === '') throw new InvalidArgumentError(`registry authentication: token server ${realm} returned no token`);
  return token;
}
