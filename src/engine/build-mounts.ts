// Overlay mounts a build makes outside of containers: a read-only view of an
// image (COPY --from, RUN --mount=type=bind,from=) and the writable root of a
// COPY or WORKDIR step. All of them live under the build's temporary
// directory, so that the daemon's start can find and remove what a killed
// daemon left mounted there.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { unmountOverlay } from '../container/runtime/rootfs';
import type { ImageService } from '../image/service';
import type { LowerLayers } from '../image/types';
import { MS_RDONLY, nativeSys } from '../sys/native';

export interface MountedDirectory {
  root: string;
  release(): Promise<void>;
}

// Mounts the image's layers read-only at a new directory under temporaryDirectory.
// An overlay without upperdir needs at least two lower directories (Linux 6.18
// rejects one with "at least 2 lowerdir are needed while upperdir nonexistent"),
// so a one-layer image gets an empty second one. An image without layers gets a plain empty directory.
export async function mountImageReadOnly(images: ImageService, imageId: string, temporaryDirectory: string, logger: Logger): Promise<MountedDirectory> {
  const work = await fsp.mkdtemp(path.join(temporaryDirectory, 'image-'));
  const target = path.join(work, 'root');
  const empty = path.join(work, 'empty');
  await fsp.mkdir(target);
  await fsp.mkdir(empty);
  let releaseLayers: () => void = () => undefined;

  const release = async () => {
    await unmountOverlay(target);
    releaseLayers();
    await fsp.rm(work, { recursive: true, force: true });
  };

  try {
    releaseLayers = images.holdLayers(imageId);
    const lower = images.lowerLayers(imageId);
    if (lower.lowerDirs.length > 0) {
      const lowerDirs = lower.lowerDirs.length === 1 ? [...lower.lowerDirs, empty] : lower.lowerDirs;
      nativeSys().mount('overlay', target, 'overlay', MS_RDONLY, `lowerdir=${lowerDirs.join(':')}`, lower.cwd);
    }
  } catch (error) {
    await release().catch((releaseError: unknown) => logger.error({ image: imageId, path: work, err: releaseError }, 'remove a failed image mount failed'));
    throw new Error(`mount image ${imageId} read-only at ${target}: ${errorMessage(error)}`, { cause: error });
  }
  logger.debug({ image: imageId, path: target }, 'image mounted read-only for a build');
  return { root: target, release };
}

// Mounts the image's layers writable at target, with upperDir on top. workDir
// must be empty and on the file system of upperDir.
export function mountWritable(lower: LowerLayers, upperDir: string, workDir: string, target: string, emptyDir: string): void {
  const lowerDirs = lower.lowerDirs.length > 0 ? lower.lowerDirs : [emptyDir];
  nativeSys().mount('overlay', target, 'overlay', 0, `lowerdir=${lowerDirs.join(':')},upperdir=${upperDir},workdir=${workDir}`, lower.cwd);
}

// Unmounts every mount under directory, deepest first, then deletes what the
// directory contains. Used at daemon start, when no build runs. Entries stay
// when a mount cannot be removed, because deleting through a mount would
// delete the mounted files.
export async function removeBuildLeftovers(directory: string, logger: Logger): Promise<void> {
  const prefix = `${path.resolve(directory)}/`;
  const mounts = (await fsp.readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => unescapeMountinfoPath(line.split(' ')[4] ?? ''))
    .filter((mountPoint) => mountPoint.startsWith(prefix))
    .sort((left, right) => right.length - left.length);

  let failed = false;
  for (const mountPoint of mounts) {
    try {
      await unmountOverlay(mountPoint);
      logger.info({ path: mountPoint }, 'unmounted a leftover mount of an interrupted build');
    } catch (error) {
      failed = true;
      logger.error({ path: mountPoint, err: error }, 'unmount a leftover mount of an interrupted build failed');
    }
  }
  if (failed) {
    logger.error({ path: directory }, 'leftovers of interrupted builds stay, because some of their mounts could not be removed');
    return;
  }

  let names: string[];
  try {
    names = await fsp.readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    logger.info({ path: path.join(directory, name) }, 'removing a leftover directory of an interrupted build');
    await fsp.rm(path.join(directory, name), { recursive: true, force: true });
  }
}

// mountinfo escapes space, tab, newline and backslash as a backslash and three octal digits.
function unescapeMountinfoPath(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
