// Endpoints on a container's filesystem and the images made from it:
// GET /containers/{id}/changes, GET /containers/{id}/export, POST /commit
// and POST /images/prune.
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, errorMessage } from '../../common/errors';
import type { ImageRuntimeConfig } from '../../image/types';
import { readJsonBody } from '../body';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { isPlainObject } from '../decode/fields';
import { FilterArgs } from '../filters/filter-args';
import { parseUntil } from '../filters/image-volume-filters';
import { queryBoolOrDefault } from '../query';
import type { Router } from '../router';
import { familiarReference } from '../shapes/image';

const PRUNE_FILTERS = ['dangling', 'until', 'label', 'label!'] as const;
const STRING_LIST_FIELDS = ['Cmd', 'Entrypoint', 'Env', 'OnBuild', 'Shell'] as const;
const STRING_FIELDS = ['User', 'WorkingDir', 'StopSignal'] as const;
const OBJECT_FIELDS = ['ExposedPorts', 'Volumes', 'Labels'] as const;

async function listChanges(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const changes = await services.engine.containerChanges(request.params.id);
  reply.json(200, changes.map((change) => ({ Path: change.path, Kind: change.kind })));
}

// Streams the tar. A failure after the 200 can only end the response early, as with dockerd.
async function exportContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const archive = await services.engine.exportContainer(request.params.id);
  const body = reply.startStream(200, 'application/x-tar');
  try {
    await pipeline(archive, body);
  } catch (error) {
    services.logger.warn({ container: request.params.id, error: errorMessage(error) }, 'container export ended early');
    body.destroy();
  }
}

async function commitContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const { query } = request;
  const container = query.get('container') ?? '';
  if (container === '') throw new InvalidArgumentError('invalid commit request: the "container" parameter must not be empty');
  const repository = query.get('repo') ?? '';
  const tag = query.get('tag') ?? '';
  if (repository === '' && tag !== '') throw new InvalidArgumentError(`invalid commit request: tag "${tag}" given without a repository`);

  let reference: string | null = null;
  if (repository !== '') reference = tag === '' ? repository : `${repository}:${tag}`;

  const id = await services.engine.commitContainer(container, {
    reference,
    comment: query.get('comment') ?? '',
    author: query.get('author') ?? '',
    // dockerd pauses unless the client asks it not to.
    pause: queryBoolOrDefault(query, 'pause', true),
    changes: query.getAll('changes'),
    config: decodeCommitConfig(await readJsonBody(request)),
  });
  reply.json(201, { Id: id });
}

// Reads the optional container Config of a commit request. Only the fields an image config keeps are used.
export function decodeCommitConfig(body: unknown): ImageRuntimeConfig | null {
  if (body === undefined || body === null) return null;
  if (!isPlainObject(body)) throw new InvalidArgumentError('invalid JSON: commit config: expected an object');
  const config: Record<string, unknown> = {};
  for (const key of STRING_LIST_FIELDS) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new InvalidArgumentError(`invalid JSON: ${key}: expected an array of strings`);
    config[key] = value;
  }
  for (const key of STRING_FIELDS) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new InvalidArgumentError(`invalid JSON: ${key}: expected a string`);
    config[key] = value;
  }
  for (const key of OBJECT_FIELDS) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (!isPlainObject(value)) throw new InvalidArgumentError(`invalid JSON: ${key}: expected an object`);
    config[key] = value;
  }
  return config as ImageRuntimeConfig;
}

async function pruneImages(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const filters = FilterArgs.parse(request.query.get('filters'));
  filters.validate(PRUNE_FILTERS);
  const dangling = filters.booleanValue('dangling');
  const untilValues = filters.values('until');
  if (untilValues.length > 1) throw new InvalidArgumentError('invalid filter: more than one until value');
  const now = Date.now();

  const result = await services.engine.pruneImages({
    danglingOnly: dangling ?? true,
    until: untilValues.length === 0 ? null : parseUntil(untilValues[0], now) / 1000,
    labels: filters.values('label'),
    excludedLabels: filters.values('label!'),
  });
  reply.json(200, {
    ImagesDeleted: [...result.untagged.map((reference) => ({ Untagged: familiarReference(reference) })), ...result.deleted.map((id) => ({ Deleted: id }))],
    SpaceReclaimed: result.spaceReclaimed,
  });
}

export function registerFilesystemRoutes(router: Router): void {
  router.add('GET', '/containers/{id}/changes', listChanges);
  router.add('GET', '/containers/{id}/export', exportContainer);
  router.add('POST', '/commit', commitContainer);
  router.add('POST', '/images/prune', pruneImages);
}
