// Container lifecycle endpoints: create, list, inspect, start, stop,
// restart, kill, pause, unpause, rename, resize, wait, remove, top.
import fs from 'node:fs/promises';
import os from 'node:os';
import { InvalidArgumentError, NotModifiedError, errorKind, errorMessage } from '../../common/errors';
import type { ContainerRecord } from '../../container/types';
import type { Engine, WaitCondition } from '../../engine/engine';
import type { ImageRuntimeConfig } from '../../image/types';
import { readAll, readJsonBody } from '../body';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { decodeContainerCreate } from '../decode/container-create';
import { checkBindSources } from '../decode/mounts';
import { validateContainerName } from '../decode/names';
import { parseSignal } from '../decode/signals';
import { FilterArgs } from '../filters/filter-args';
import { selectContainers, validateContainerFilters } from '../filters/container-filters';
import { parseUntil } from '../filters/image-volume-filters';
import { queryBool, queryInteger, queryUint32 } from '../query';
import type { Router } from '../router';
import { containerInspectShape, containerSummaryShape, type ContainerSize } from '../shapes/container';
import { versionBelow } from '../version';

// Returns the container's size when the client requests it (size=1).
async function containerSize(services: ApiServices, request: ApiRequest, id: string): Promise<ContainerSize | null> {
  if (!queryBool(request.query, 'size')) return null;
  return services.engine.containerSize(id);
}

// Returns the runtime config of the container's image, or null when the image was removed since.
async function imageRuntimeConfig(services: ApiServices, record: ContainerRecord): Promise<ImageRuntimeConfig | null> {
  try {
    return (await services.engine.getImage(record.imageId)).config.config ?? null;
  } catch (error) {
    if (errorKind(error) === 'not-found') return null;
    throw error;
  }
}

async function pathExists(hostPath: string): Promise<boolean> {
  try {
    await fs.stat(hostPath);
    return true;
  } catch {
    return false;
  }
}

function isActive(record: ContainerRecord): boolean {
  return ['running', 'paused', 'restarting'].includes(record.state.status);
}

// Reads the stop timeout "t" (seconds) and, from API 1.42, the "signal" of stop and restart.
function stopOptions(request: ApiRequest): { signal: string | null; timeout: number | null } {
  const signal = versionBelow(request.apiVersion, '1.42') ? null : request.query.get('signal') || null;
  if (signal !== null) parseSignal(signal);
  return { signal, timeout: queryInteger(request.query, 't') };
}

// Rejects a missing network with 400 where dockerd has 404: the Docker CLI takes a 404 from create
// for a missing image and tries to pull it.
async function checkNetworkExists(services: ApiServices, networkMode: string): Promise<void> {
  if (networkMode === 'none' || networkMode === 'host') return;
  try {
    await services.engine.getNetwork(networkMode);
  } catch (error) {
    if (errorKind(error) === 'not-found') throw new InvalidArgumentError(`network ${networkMode} not found`, { cause: error });
    throw error;
  }
}

async function createContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const body = await readJsonBody(request);
  const decoded = decodeContainerCreate(body, {
    apiVersion: request.apiVersion,
    name: request.query.get('name'),
    cpuCount: os.availableParallelism(),
  });
  if (decoded.unknownFields.length > 0) {
    services.logger.debug({ fields: decoded.unknownFields }, 'create request: ignoring unknown fields');
  }
  await checkBindSources(decoded.spec.mounts, pathExists);
  await checkNetworkExists(services, decoded.spec.networkMode);

  const created = await services.engine.createContainer(decoded.spec);
  reply.json(201, { Id: created.id, Warnings: [...created.warnings, ...decoded.warnings] });
}

async function listContainers(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const { query } = request;
  const filters = FilterArgs.parse(query.get('filters'));
  validateContainerFilters(filters);
  const limit = queryInteger(query, 'limit') ?? 0;

  let ancestorImageIds: Set<string> | null = null;
  if (filters.has('ancestor')) {
    ancestorImageIds = new Set();
    for (const reference of filters.values('ancestor')) {
      try {
        ancestorImageIds.add((await services.engine.getImage(reference)).id);
      } catch (error) {
        // dockerd ignores ancestors it cannot find, so the filter then matches nothing for them.
        if (errorKind(error) !== 'not-found') throw error;
        services.logger.debug({ image: reference }, 'container list: ancestor image not found');
      }
    }
  }

  const records = await services.engine.listContainers({ all: true });
  const selected = selectContainers(records, { all: queryBool(query, 'all'), limit, filters, ancestorImageIds });
  const images = new Map((await services.engine.listImages()).map((image) => [image.id, image.config.config ?? null]));
  const now = Date.now();
  const summaries = [];
  for (const record of selected) {
    const size = await containerSize(services, request, record.id);
    const networks = await services.engine.containerNetworks(record.id);
    summaries.push(containerSummaryShape(record, { apiVersion: request.apiVersion, image: images.get(record.imageId) ?? null, size, now, networks }));
  }
  reply.json(200, summaries);
}

async function inspectContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const record = await services.engine.getContainer(request.params.id);
  const image = await imageRuntimeConfig(services, record);
  const size = await containerSize(services, request, record.id);
  const details = await services.engine.containerDetails(record.id);
  const networks = await services.engine.containerNetworks(record.id);
  reply.json(200, containerInspectShape(record, { apiVersion: request.apiVersion, image, size, details, networks }));
}

async function startContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  // A JSON object longer than 7 bytes is a HostConfig, which API 1.24 stopped accepting here.
  const body = await readAll(request.body, 1024 * 1024);
  if (body.length > 7) {
    throw new InvalidArgumentError('starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24');
  }
  const record = await services.engine.getContainer(request.params.id);
  if (record.state.status === 'running') throw new NotModifiedError('container is already running');
  await services.engine.startContainer(request.params.id);
  reply.empty(204);
}

async function stopContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const options = stopOptions(request);
  const record = await services.engine.getContainer(request.params.id);
  if (!isActive(record)) throw new NotModifiedError('container is already stopped');
  await services.engine.stopContainer(request.params.id, options);
  reply.empty(204);
}

const WAIT_CONDITIONS: readonly WaitCondition[] = ['not-running', 'next-exit', 'removed'];

// Sends the 200 status before waiting, as dockerd does from API 1.30: the CLI attaches, starts
// the wait, then starts the container, and needs the wait registered before the start.
async function waitContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const legacy = versionBelow(request.apiVersion, '1.30');
  const raw = legacy ? '' : (request.query.get('condition') ?? '');
  if (raw !== '' && !WAIT_CONDITIONS.includes(raw as WaitCondition)) throw new InvalidArgumentError(`invalid condition: ${JSON.stringify(raw)}`);
  const condition = (raw || 'not-running') as WaitCondition;

  const record = await services.engine.getContainer(request.params.id);
  const body = legacy ? null : reply.startStream(200, 'application/json');
  let result: { StatusCode: number; Error: { Message: string } | null };
  try {
    const waited = await services.engine.waitContainer(record.id, condition, request.signal);
    result = { StatusCode: waited.statusCode, Error: waited.error === null ? null : { Message: waited.error } };
  } catch (error) {
    if (!body) throw error;
    if (request.signal.aborted) return;
    services.logger.warn({ container: record.id, error: errorMessage(error) }, 'wait failed after the response started');
    result = { StatusCode: -1, Error: { Message: errorMessage(error) } };
  }
  if (body) body.end(`${JSON.stringify(result)}\n`);
  else reply.json(200, result);
}

async function removeContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  await services.engine.removeContainer(request.params.id, {
    force: queryBool(request.query, 'force'),
    volumes: queryBool(request.query, 'v'),
  });
  reply.empty(204);
}

async function renameContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const name = request.query.get('name') ?? '';
  if (name === '') throw new InvalidArgumentError('Neither old nor new names may be empty');
  await services.engine.renameContainer(request.params.id, validateContainerName(name));
  reply.empty(204);
}

// POST /containers/prune: filters until, label and label!, as Docker accepts them.
async function pruneContainers(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const filters = FilterArgs.parse(request.query.get('filters'));
  filters.validate(['until', 'label', 'label!']);
  const untilValues = filters.values('until');
  if (untilValues.length > 1) throw new InvalidArgumentError('invalid filter: more than one until value');

  const result = await services.engine.pruneContainers({
    until: untilValues.length === 0 ? null : parseUntil(untilValues[0], Date.now()) / 1000,
    labels: filters.values('label'),
    excludedLabels: filters.values('label!'),
  });
  reply.json(200, { ContainersDeleted: result.deleted.length > 0 ? result.deleted : null, SpaceReclaimed: result.spaceReclaimed });
}

export function registerContainerRoutes(router: Router): void {
  router.add('POST', '/containers/prune', pruneContainers);
  router.add('POST', '/containers/create', createContainer);
  router.add('GET', '/containers/json', listContainers);
  router.add('GET', '/containers/{id}/json', inspectContainer);
  router.add('POST', '/containers/{id}/start', startContainer);
  router.add('POST', '/containers/{id}/stop', stopContainer);
  router.add('POST', '/containers/{id}/wait', waitContainer);
  router.add('DELETE', '/containers/{id}', removeContainer);
  router.add('POST', '/containers/{id}/rename', renameContainer);

  router.add('POST', '/containers/{id}/restart', async (request, reply, services) => {
    await services.engine.restartContainer(request.params.id, stopOptions(request));
    reply.empty(204);
  });
  router.add('POST', '/containers/{id}/kill', async (request, reply, services) => {
    const signal = request.query.get('signal') || 'SIGKILL';
    parseSignal(signal);
    await services.engine.killContainer(request.params.id, signal);
    reply.empty(204);
  });
  router.add('POST', '/containers/{id}/pause', async (request, reply, services) => {
    await services.engine.pauseContainer(request.params.id);
    reply.empty(204);
  });
  router.add('POST', '/containers/{id}/unpause', async (request, reply, services) => {
    await services.engine.unpauseContainer(request.params.id);
    reply.empty(204);
  });
  router.add('POST', '/containers/{id}/resize', async (request, reply, services) => {
    const height = queryUint32(request.query, 'h', 'resize height');
    const width = queryUint32(request.query, 'w', 'resize width');
    await services.engine.resizeContainer(request.params.id, height, width);
    reply.empty(200);
  });
  router.add('GET', '/containers/{id}/top', async (request, reply, services) => {
    const table = await services.engine.topContainer(request.params.id, request.query.get('ps_args') ?? '');
    reply.json(200, { Titles: table.titles, Processes: table.processes });
  });
}
