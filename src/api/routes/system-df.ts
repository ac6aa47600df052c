// GET /system/df: Docker's disk usage report.
import { InvalidArgumentError } from '../../common/errors';
import type { BuildCacheRecord, DiskUsage } from '../../engine/engine';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { containerSummaryShape } from '../shapes/container';
import { imageSummaryShape } from '../shapes/image';
import { volumeShape } from '../shapes/volume-exec';

const USAGE_TYPES = ['container', 'image', 'volume', 'build-cache'];

async function containerShapes(usage: DiskUsage, request: ApiRequest, services: ApiServices): Promise<Record<string, unknown>[]> {
  const images = new Map(usage.images.map(({ image }) => [image.id, image.config.config ?? null]));
  const now = Date.now();
  const shapes: Record<string, unknown>[] = [];
  for (const { record, sizeRw, sizeRootFs } of usage.containers) {
    const networks = await services.engine.containerNetworks(record.id);
    shapes.push(containerSummaryShape(record, { apiVersion: request.apiVersion, image: images.get(record.imageId) ?? null, size: { sizeRw, sizeRootFs }, now, networks }));
  }
  return shapes;
}

function buildCacheShape(record: BuildCacheRecord): Record<string, unknown> {
  return {
    ID: record.id,
    Parents: record.parents,
    Type: record.type,
    Description: record.description,
    InUse: record.inUse,
    Shared: record.shared,
    Size: record.size,
    CreatedAt: record.createdAt,
    LastUsedAt: record.lastUsedAt,
    UsageCount: record.usageCount,
  };
}

export async function systemDiskUsage(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  // API 1.42 added ?type=, which limits the report to the types named. Without it every type is reported.
  const types = request.query.getAll('type');
  for (const type of types) {
    if (!USAGE_TYPES.includes(type)) throw new InvalidArgumentError(`invalid type "${type}": use one of ${USAGE_TYPES.join(', ')}`);
  }
  const requested = (type: string) => types.length === 0 || types.includes(type);

  const usage = await services.engine.diskUsage();
  const body: Record<string, unknown> = {};
  if (requested('image')) {
    body.LayersSize = usage.layersSize;
    body.Images = usage.images.map(({ image, sharedSize, containers }) => ({
      ...imageSummaryShape(image, request.apiVersion, containers),
      Containers: containers,
      SharedSize: sharedSize,
    }));
  }
  if (requested('container')) body.Containers = await containerShapes(usage, request, services);
  if (requested('volume')) {
    body.Volumes = usage.volumes.map(({ volume, size, refCount }) => ({ ...volumeShape(volume), UsageData: { Size: size, RefCount: refCount } }));
  }
  if (requested('build-cache')) body.BuildCache = (await services.engine.buildCacheUsage()).map(buildCacheShape);
  reply.json(200, body);
}
