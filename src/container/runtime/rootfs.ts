// The overlay root file system of a container: the image's layers as lower
// directories, the container's own upper and work directories, mounted at
// the bundle's rootfs directory.
import fs from 'node:fs/promises';
import { hasErrorCode } from '../../common/errors';
import type { LowerLayers } from '../../image/types';
import { MNT_DETACH, nativeSys } from '../../sys/native';

// Mount data must fit in one page.
const MAX_MOUNT_DATA = 4095;

// Returns true when target is a mount point, from /proc/self/mountinfo.
export async function isMountPoint(target: string): Promise<boolean> {
  const mountinfo = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const escaped = escapeMountinfoPath(target);
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === escaped);
}

// mountinfo escapes space, tab, newline and backslash as octal.
function escapeMountinfoPath(value: string): string {
  return value.replace(/[ \t\n\\]/g, (character) => `\\${character.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export interface OverlayPaths {
  target: string;
  upperDir: string;
  workDir: string;
  // Used as the only lower directory of an image without layers.
  emptyDir: string;
}

// Mounts the overlay unless target is already a mount point (a container
// that survived a berthd restart keeps its mount).
export async function mountOverlay(lower: LowerLayers, paths: OverlayPaths): Promise<void> {
  await Promise.all([
    fs.mkdir(paths.target, { recursive: true, mode: 0o700 }),
    fs.mkdir(paths.upperDir, { recursive: true, mode: 0o755 }),
    fs.mkdir(paths.workDir, { recursive: true, mode: 0o700 }),
  ]);
  if (await isMountPoint(paths.target)) return;

  let lowerDirs = lower.lowerDirs;
  let cwd: string | null = lower.cwd;
  const overlayData = (dirs: string[]) => `lowerdir=${dirs.join(':')},upperdir=${paths.upperDir},workdir=${paths.workDir}`;
  if (lowerDirs.length === 0) {
    await fs.mkdir(paths.emptyDir, { recursive: true, mode: 0o755 });
    lowerDirs = [paths.emptyDir];
    cwd = null;
  } else if (Buffer.byteLength(overlayData(lower.absoluteLowerDirs)) <= MAX_MOUNT_DATA) {
    // Absolute paths need no working directory, so the mount runs in this process instead of a forked child.
    lowerDirs = lower.absoluteLowerDirs;
    cwd = null;
  }
  const data = overlayData(lowerDirs);
  if (Buffer.byteLength(data) > MAX_MOUNT_DATA) {
    throw new Error(`mount overlay at ${paths.target}: the mount options are ${Buffer.byteLength(data)} bytes, over the limit of ${MAX_MOUNT_DATA} (one page), because the image has too many layers (${lowerDirs.length})`);
  }
  try {
    nativeSys().mount('overlay', paths.target, 'overlay', 0, data, cwd);
  } catch (error) {
    throw new Error(`mount overlay at ${paths.target} (${lowerDirs.length} lower directories): ${(error as Error).message}`, { cause: error });
  }
}

// Unmounts target. A target that is not mounted, or missing, is fine. A busy
// mount is detached lazily so that removal can go on.
export async function unmountOverlay(target: string): Promise<void> {
  try {
    nativeSys().umount(target, 0);
  } catch (error) {
    if (hasErrorCode(error, 'EINVAL') || hasErrorCode(error, 'ENOENT')) return;
    if (!hasErrorCode(error, 'EBUSY')) throw error;
    nativeSys().umount(target, MNT_DETACH);
  }
}
