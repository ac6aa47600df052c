// HEAD, GET and PUT /containers/{id}/archive: stat a path, read it as a tar
// and extract a tar into a directory, for `docker cp`.
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, errorMessage } from '../../common/errors';
import type { ContainerPathStat } from '../../engine/engine';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { queryBool } from '../query';
import type { Router } from '../router';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

function requiredPath(request: ApiRequest): string {
  const containerPath = request.query.get('path') ?? '';
  if (containerPath === '') throw new InvalidArgumentError('the "path" query parameter is required and must not be empty');
  return containerPath;
}

export function encodePathStat(stat: ContainerPathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

async function statPath(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const stat = await services.engine.statContainerPath(request.params.id, requiredPath(request));
  reply.setHeader(STAT_HEADER, encodePathStat(stat));
  reply.empty(200);
}

// Streams the tar. A failure after the 200 can only end the response early, as with dockerd.
async function getArchive(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const { stat, archive } = await services.engine.getContainerArchive(request.params.id, requiredPath(request));
  reply.setHeader(STAT_HEADER, encodePathStat(stat));
  const body = reply.startStream(200, 'application/x-tar');
  try {
    await pipeline(archive, body);
  } catch (error) {
    services.logger.warn({ container: request.params.id, path: request.query.get('path'), error: errorMessage(error) }, 'container archive ended early');
    body.destroy();
  }
}

async function putArchive(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  await services.engine.putContainerArchive(request.params.id, requiredPath(request), request.body, {
    noOverwriteDirNonDir: queryBool(request.query, 'noOverwriteDirNonDir'),
    copyUIDGID: queryBool(request.query, 'copyUIDGID'),
  });
  reply.empty(200);
}

export function registerContainerArchiveRoutes(router: Router): void {
  router.add('HEAD', '/containers/{id}/archive', statPath);
  router.add('GET', '/containers/{id}/archive', getArchive);
  router.add('PUT', '/containers/{id}/archive', putArchive);
}
