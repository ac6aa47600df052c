// Build cache prune: drops cache index entries and the cache mounts of
// `RUN --mount=type=cache` that no step is using. The images of removed
// entries are returned so the engine can delete the hidden intermediate ones.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { BuildHost } from '../host';
import { CacheIndex } from './cache-index';
import { cacheMountsDirectory } from './run-mounts';

export interface PruneResult {
  cachesDeleted: string[];
  spaceReclaimed: number;
  // Images the removed cache entries named, which the engine may delete when no tag or container uses them.
  images: string[];
}

// Returns the bytes of allocated blocks under target, or 0 when it does not exist.
export async function diskUsage(target: string): Promise<number> {
  const stat = await fsp.lstat(target).catch(() => null);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.blocks * 512;

  let total = stat.blocks * 512;
  for (const name of await fsp.readdir(target)) total += await diskUsage(path.join(target, name));
  return total;
}

// NOTE: a cache mount that a running build uses is removed too, so a prune should not overlap builds.
export async function pruneBuildCache(host: BuildHost, options: { all: boolean }): Promise<PruneResult> {
  const removed = await CacheIndex.forDirectory(host.stateDirectory).prune(options.all, (imageId) => host.hasImage(imageId));
  const cachesDeleted = removed.map((entry) => entry.key);
  let spaceReclaimed = 0;

  const mountsDirectory = cacheMountsDirectory(host.stateDirectory);
  const names = await fsp.readdir(mountsDirectory).catch(() => [] as string[]);
  for (const name of names) {
    if (name.endsWith('.id')) continue;
    const directory = path.join(mountsDirectory, name);
    spaceReclaimed += await diskUsage(directory);
    await fsp.rm(directory, { recursive: true, force: true });
    await fsp.rm(`${directory}.id`, { force: true });
    cachesDeleted.push(name);
  }

  return { cachesDeleted, spaceReclaimed, images: removed.map((entry) => entry.image) };
}
