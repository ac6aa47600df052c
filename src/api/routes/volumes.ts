// Volume endpoints: list, create, inspect, remove, prune.
import { NotImplementedError } from '../../common/errors';
import { readJsonBody } from '../body';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { FieldReader } from '../decode/fields';
import { FilterArgs } from '../filters/filter-args';
import { selectVolumes } from '../filters/image-volume-filters';
import { queryBool } from '../query';
import type { Router } from '../router';
import { volumeShape } from '../shapes/volume-exec';
import { versionBelow } from '../version';

async function listVolumes(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const filters = FilterArgs.parse(request.query.get('filters'));
  const volumes = await services.engine.listVolumes();
  let used = new Set<string>();
  if (filters.has('dangling')) {
    const containers = await services.engine.listContainers({ all: true });
    used = new Set(containers.flatMap((record) => record.mounts.filter((mount) => mount.type === 'volume').map((mount) => mount.name)));
  }
  const selected = selectVolumes(volumes, filters, used);
  reply.json(200, { Volumes: selected.map(volumeShape), Warnings: null });
}

async function createVolume(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const unknownFields: string[] = [];
  const reader = FieldReader.of(await readJsonBody(request), '', unknownFields) ?? new FieldReader({}, '', unknownFields);
  const options = {
    name: reader.string('Name') ?? '',
    driver: reader.string('Driver') || 'local',
    labels: reader.stringMap('Labels') ?? {},
    driverOptions: reader.stringMap('DriverOpts') ?? {},
  };
  const clusterSpec = reader.raw('ClusterVolumeSpec');
  reader.remaining([]);
  if (unknownFields.length > 0) services.logger.debug({ fields: unknownFields }, 'volume create request: ignoring unknown fields');
  if (clusterSpec !== undefined && clusterSpec !== null) {
    throw new NotImplementedError('cluster volumes need swarm mode, which Berth does not support');
  }
  reply.json(201, volumeShape(await services.engine.createVolume(options)));
}

async function pruneVolumes(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const filters = FilterArgs.parse(request.query.get('filters'));
  filters.validate(['all', 'label', 'label!']);
  if (filters.has('label!')) throw new NotImplementedError("the 'label!' filter of volume prune is not supported yet");
  // Before API 1.42, prune removed named volumes too.
  const all = versionBelow(request.apiVersion, '1.42') || (filters.booleanValue('all') ?? false);
  const result = await services.engine.pruneVolumes({ all, labels: filters.values('label') });
  reply.json(200, { VolumesDeleted: result.deleted, SpaceReclaimed: result.spaceReclaimed });
}

export function registerVolumeRoutes(router: Router): void {
  router.add('GET', '/volumes', listVolumes);
  router.add('POST', '/volumes/create', createVolume);
  router.add('POST', '/volumes/prune', pruneVolumes);
  router.add('GET', '/volumes/{name}', async (request, reply, services) => {
    reply.json(200, volumeShape(await services.engine.getVolume(request.params.name)));
  });
  router.add('DELETE', '/volumes/{name}', async (request, reply, services) => {
    await services.engine.removeVolume(request.params.name, { force: queryBool(request.query, 'force') });
    reply.empty(204);
  });
}
