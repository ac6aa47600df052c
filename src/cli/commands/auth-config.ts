// Registry credentials in the docker CLI's config file: $DOCKER_CONFIG/config.json,
// or ~/.docker/config.json, with "auths": {"<server>": {"auth": base64("user:password")}}.
// The file is shared with the docker CLI, so fields berth does not use are kept as they are.
// NOTE: credential helpers ("credsStore", "credHelpers") are not run: berth reads and writes only "auths".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from '../command';
import type { ImageReference } from '../reference';

// docker.io's credentials are stored under its historical index address.
export const DOCKER_IO_AUTH_KEY = 'https://index.docker.io/v1/';

export interface StoredAuth {
  auth?: string;
  identitytoken?: string;
  [field: string]: unknown;
}

export interface Credentials {
  username: string;
  password: string;
  identityToken: string;
  serverAddress: string;
}

export function configDirectory(environment: NodeJS.ProcessEnv): string {
  if (environment.DOCKER_CONFIG) return environment.DOCKER_CONFIG;
  return path.join(environment.HOME || os.homedir(), '.docker');
}

export function configFile(environment: NodeJS.ProcessEnv): string {
  return path.join(configDirectory(environment), 'config.json');
}

function readConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`read ${file}: ${(error as Error).message}`);
  }
  if (text.trim() === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`parse ${file}: ${(error as Error).message}`);
  }
}

function authsOf(config: Record<string, unknown>): Record<string, StoredAuth> {
  const auths = config.auths;
  return typeof auths === 'object' && auths !== null && !Array.isArray(auths) ? (auths as Record<string, StoredAuth>) : {};
}

// Writes the config through a temporary file and a rename, so a crash never leaves half a file. Mode 0600, because it contains passwords.
function writeConfig(file: string, config: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
    fs.chmodSync(temporary, 0o600);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new CliError(`write ${file}: ${(error as Error).message}`);
  }
}

// Reduces a server address to the host (and port) the docker CLI uses as the key: "https://host:5000/v2/" → "host:5000".
export function hostnameOf(address: string): string {
  const withoutScheme = address.replace(/^https?:\/\//, '');
  return withoutScheme.split('/')[0];
}

// Returns the config key for a login's server argument (docker.io and its aliases map to the index address).
export function authKeyForServer(server: string): string {
  if (server === '' || server === DOCKER_IO_AUTH_KEY) return DOCKER_IO_AUTH_KEY;
  const host = hostnameOf(server);
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return DOCKER_IO_AUTH_KEY;
  return host;
}

function decodeAuth(entry: StoredAuth, serverAddress: string): Credentials {
  let username = '';
  let password = '';
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new CliError(`invalid auth configuration for ${serverAddress}: the "auth" field is not base64 of "user:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return { username, password, identityToken: typeof entry.identitytoken === 'string' ? entry.identitytoken : '', serverAddress };
}

// Returns the stored credentials for a server key, or null. Keys written with a scheme or path ("https://host/v1/") also match.
export function readCredentials(environment: NodeJS.ProcessEnv, key: string): Credentials | null {
  const auths = authsOf(readConfig(configFile(environment)));
  if (auths[key]) return decodeAuth(auths[key], key);
  for (const [stored, entry] of Object.entries(auths)) {
    if (authKeyForServer(stored) === key) return decodeAuth(entry, key);
  }
  return null;
}

// Stores credentials under the key: the identity token when the registry issued one, otherwise user and password.
export function storeCredentials(environment: NodeJS.ProcessEnv, key: string, credentials: { username: string; password: string; identityToken: string }): string {
  const file = configFile(environment);
  const config = readConfig(file);
  const auths = authsOf(config);
  const secret = credentials.identityToken === '' ? credentials.password : '';
  const entry: StoredAuth = { auth: Buffer.from(`${credentials.username}:${secret}`).toString('base64') };
  if (credentials.identityToken !== '') entry.identitytoken = credentials.identityToken;
  config.auths = { ...auths, [key]: entry };
  writeConfig(file, config);
  return file;
}

// Removes the entry for a key (and entries whose key reduces to it). Returns false when there was none.
export function removeCredentials(environment: NodeJS.ProcessEnv, key: string): boolean {
  const file = configFile(environment);
  const config = readConfig(file);
  const auths = authsOf(config);
  const matching = Object.keys(auths).filter((stored) => stored === key || authKeyForServer(stored) === key);
  if (matching.length === 0) return false;
  for (const stored of matching) delete auths[stored];
  config.auths = auths;
  writeConfig(file, config);
  return true;
}

// Encodes credentials as the X-Registry-Auth header: base64url of JSON, padded like Go's base64.URLEncoding.
export function encodeRegistryAuth(credentials: Credentials | null): string {
  const body = credentials
    ? credentials.identityToken !== ''
      ? { identitytoken: credentials.identityToken, serveraddress: credentials.serverAddress }
      : { username: credentials.username, password: credentials.password, serveraddress: credentials.serverAddress }
    : {};
  return Buffer.from(JSON.stringify(body)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

// Returns the X-Registry-Auth header for an image's registry: stored credentials, or "{}" when there are none.
export function registryAuthFor(environment: NodeJS.ProcessEnv, reference: ImageReference): string {
  const key = reference.domain === 'docker.io' ? DOCKER_IO_AUTH_KEY : reference.domain;
  return encodeRegistryAuth(readCredentials(environment, key));
}
