// Decodes the query of POST /build into a BuildRequest, with dockerd's
// parameter names and parsing: t repeated, buildargs and labels as JSON
// objects, pull and nocache as booleans.
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import type { BuildRequest } from '../../builder/types';
import { queryBool } from '../query';

function parseJsonObject(query: URLSearchParams, key: string): Record<string, unknown> {
  const text = query.get(key);
  if (text === null || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`invalid ${key} parameter ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`invalid ${key} parameter ${JSON.stringify(text)}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function decodeBuildArgs(query: URLSearchParams): Record<string, string | null> {
  const buildArgs: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(parseJsonObject(query, 'buildargs'))) {
    if (value !== null && typeof value !== 'string') throw new InvalidArgumentError(`invalid buildargs parameter: the value of ${name} must be a string or null`);
    buildArgs[name] = value;
  }
  return buildArgs;
}

function decodeLabels(query: URLSearchParams): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseJsonObject(query, 'labels'))) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`invalid labels parameter: the value of ${name} must be a string`);
    labels[name] = value;
  }
  return labels;
}

function decodeNetworkMode(query: URLSearchParams): BuildRequest['networkMode'] {
  const mode = query.get('networkmode') ?? '';
  if (mode === '' || mode === 'default' || mode === 'bridge') return 'default';
  if (mode === 'none' || mode === 'host') return mode;
  throw new InvalidArgumentError(`invalid networkmode "${mode}": builds support default, bridge, host and none`);
}

export function decodeBuildRequest(query: URLSearchParams, headers: Record<string, string | string[] | undefined>, body: Readable, signal: AbortSignal): BuildRequest {
  if ((query.get('remote') ?? '') !== '') {
    throw new InvalidArgumentError('remote build contexts (the remote parameter) are not supported by berth: send the context in the request body');
  }
  if (query.get('version') === '2') {
    throw new NotImplementedError('BuildKit sessions (version=2) are not supported by berth: use the classic builder (version=1), which accepts the BuildKit Dockerfile syntax');
  }
  const registryConfig = headers['x-registry-config'];

  return {
    context: body,
    dockerfile: query.get('dockerfile') || 'Dockerfile',
    tags: query.getAll('t').filter((tag) => tag !== ''),
    target: query.get('target') || null,
    buildArgs: decodeBuildArgs(query),
    labels: decodeLabels(query),
    noCache: queryBool(query, 'nocache'),
    pull: queryBool(query, 'pull') ? 'always' : 'missing',
    platform: query.get('platform') || null,
    quiet: queryBool(query, 'q'),
    networkMode: decodeNetworkMode(query),
    registryConfig: typeof registryConfig === 'string' && registryConfig !== '' ? registryConfig : null,
    signal,
  };
}
