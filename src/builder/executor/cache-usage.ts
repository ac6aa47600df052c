// Build cache usage for `docker system df`: one record per object that a
// build cache prune with all set removes, so the two reports agree. Cache
// index entries point at images that the Images section already counts, so
// they are reported with size 0 and as shared.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { BuildHost } from '../host';
import { CacheIndex } from './cache-index';
import { diskUsage } from './prune';
import { cacheMountInUse, cacheMountsDirectory } from './run-mounts';

// One build cache object in the fields of Docker's BuildCache record.
export interface BuildCacheRecord {
  id: string;
  parents: string[];
  // "regular" for a step's cached result, "exec.cachemount" for a RUN --mount=type=cache directory.
  type: 'regular' | 'exec.cachemount';
  description: string;
  inUse: boolean;
  shared: boolean;
  // Bytes of allocated blocks.
  size: number;
  // RFC 3339 times.
  createdAt: string;
  lastUsedAt: string | null;
  usageCount: number;
}

async function indexRecords(host: BuildHost): Promise<BuildCacheRecord[]> {
  const entries = await CacheIndex.forDirectory(host.stateDirectory).list();
  return entries.map(({ key, entry }) => ({
    id: key,
    parents: [],
    type: 'regular',
    description: entry.description ?? entry.image,
    inUse: false,
    // An entry whose image is gone contains nothing, and an entry whose image exists shares its bytes with the image.
    shared: host.hasImage(entry.image),
    size: 0,
    createdAt: entry.created,
    lastUsedAt: entry.lastUsed,
    usageCount: entry.usageCount ?? 1,
  }));
}

async function cacheMountRecords(host: BuildHost): Promise<BuildCacheRecord[]> {
  const mountsDirectory = cacheMountsDirectory(host.stateDirectory);
  const names = await fsp.readdir(mountsDirectory).catch(() => [] as string[]);
  const records: BuildCacheRecord[] = [];

  for (const name of names) {
    if (name.endsWith('.id')) continue;
    const directory = path.join(mountsDirectory, name);
    const stat = await fsp.stat(directory).catch(() => null);
    if (!stat) continue;

    // The .id file stores the id= value from the Dockerfile, and the directory name is a hash of it.
    const id = await fsp.readFile(`${directory}.id`, 'utf8').catch(() => name);
    records.push({
      id: name,
      parents: [],
      type: 'exec.cachemount',
      description: `cache mount ${id}`,
      inUse: cacheMountInUse(directory),
      shared: false,
      size: await diskUsage(directory),
      createdAt: stat.birthtime.getTime() > 0 ? stat.birthtime.toISOString() : stat.ctime.toISOString(),
      lastUsedAt: stat.mtime.toISOString(),
      // NOTE: uses of a cache mount are not counted, so this is always 0.
      usageCount: 0,
    });
  }
  return records;
}

// Lists the cache index entries and the RUN cache mount directories, the objects pruneBuildCache removes.
export async function buildCacheUsage(host: BuildHost): Promise<BuildCacheRecord[]> {
  return [...(await indexRecords(host)), ...(await cacheMountRecords(host))];
}
