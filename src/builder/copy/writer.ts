// Writes COPY and ADD results into a step's root filesystem. Every path is
// an image path resolved inside the root, so a symlink in the image (such
// as /lib -> usr/lib) is followed as it would be inside the container and
// never leads to the host's files.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { resolveInRoot } from '../../common/scoped-path';
import type { Owner } from './owner';
import type { TreeEntry } from './tree';

const DEFAULT_DIRECTORY_MODE = 0o755;

// Returns the host path of a directory given as an image path, creating it
// and its missing parents (mode 0755, owned by owner) when absent. An
// existing non-directory in the way is an error naming both paths.
export async function ensureDirectoryInRoot(root: string, imagePath: string, owner: Owner): Promise<{ hostPath: string; created: boolean }> {
  const parts = imagePath.split('/').filter((part) => part !== '' && part !== '.');
  let current = '/';
  let hostPath = root;
  let created = false;

  for (const part of parts) {
    current = path.posix.join(current, part);
    hostPath = await resolveInRoot(root, current);
    const stat = await fsp.stat(hostPath).catch(() => null);
    if (stat !== null && stat.isDirectory()) continue;
    if (stat !== null) throw new Error(`mkdir ${current}: not a directory`);

    // A dangling symlink resolves to its target's path inside the root, which is created with its parents.
    await fsp.mkdir(hostPath, { mode: DEFAULT_DIRECTORY_MODE, recursive: true });
    await fsp.lchown(hostPath, owner.uid, owner.gid);
    await fsp.chmod(hostPath, DEFAULT_DIRECTORY_MODE);
    created = true;
  }
  return { hostPath, created };
}

// Whether an image path names an existing directory, following symlinks inside the root.
export async function isDirectoryInRoot(root: string, imagePath: string): Promise<boolean> {
  const stat = await fsp.stat(await resolveInRoot(root, imagePath)).catch(() => null);
  return stat !== null && stat.isDirectory();
}

export interface WriteOptions {
  // null keeps each entry's own owner (COPY --from of an image with its owners).
  owner: Owner | null;
  chmod: number | null;
}

// Removes whatever is at hostPath unless it is a directory that a directory entry may reuse.
async function clearPath(hostPath: string, keepDirectory: boolean): Promise<boolean> {
  const existing = await fsp.lstat(hostPath).catch(() => null);
  if (existing === null) return false;
  if (keepDirectory && existing.isDirectory()) return true;
  await fsp.rm(hostPath, { recursive: true, force: true });
  return false;
}

// Copies listed entries from sourceHostPath into the image path destination.
// The entry with relative "" is the source itself: a directory's contents go
// into destination, a file or symlink becomes destination.
export async function writeTree(root: string, sourceHostPath: string, entries: TreeEntry[], destination: string, options: WriteOptions): Promise<void> {
  const parentOwner = options.owner ?? { uid: 0, gid: 0 };
  // Host paths of directories already ensured, so a large tree resolves each parent once.
  const ensured = new Map<string, string>();
  const ensureParent = async (imagePath: string): Promise<string> => {
    const known = ensured.get(imagePath);
    if (known !== undefined) return known;
    const { hostPath } = await ensureDirectoryInRoot(root, imagePath, parentOwner);
    ensured.set(imagePath, hostPath);
    return hostPath;
  };
  // Directory times are set last, because writing entries inside changes them.
  const directoryTimes: { hostPath: string; mtime: Date }[] = [];

  for (const entry of entries) {
    const imagePath = entry.relative === '' ? destination : path.posix.join(destination, entry.relative);
    const sourcePath = entry.relative === '' ? sourceHostPath : path.join(sourceHostPath, entry.relative);
    const owner = options.owner ?? { uid: entry.uid, gid: entry.gid };
    const mode = options.chmod ?? entry.mode;

    if (entry.type === 'directory') {
      const { hostPath, created } = await ensureDirectoryInRoot(root, imagePath, parentOwner);
      ensured.set(imagePath, hostPath);
      // The destination directory itself keeps its mode when it existed, as Docker's COPY of a directory's contents does.
      if (entry.relative !== '' || created) {
        await fsp.lchown(hostPath, owner.uid, owner.gid);
        await fsp.chmod(hostPath, mode);
      }
      directoryTimes.push({ hostPath, mtime: entry.mtime });
      continue;
    }

    const parentHostPath = await ensureParent(path.posix.dirname(imagePath));
    const hostPath = path.join(parentHostPath, path.posix.basename(imagePath));
    await clearPath(hostPath, false);

    if (entry.type === 'hardlink') {
      // The first name was written earlier in this tree, so the link stays inside what this copy wrote.
      const firstImagePath = path.posix.join(destination, entry.linkTarget ?? '');
      const firstHostPath = path.join(await ensureParent(path.posix.dirname(firstImagePath)), path.posix.basename(firstImagePath));
      await fsp.link(firstHostPath, hostPath);
      continue;
    }

    if (entry.type === 'symlink') {
      await fsp.symlink(entry.linkTarget ?? '', hostPath);
      await fsp.lchown(hostPath, owner.uid, owner.gid);
      await fsp.lutimes(hostPath, entry.mtime, entry.mtime);
      continue;
    }

    // COPYFILE_EXCL: a symlink placed at the name after clearPath makes the copy fail instead of being followed.
    await fsp.copyFile(sourcePath, hostPath, fs.constants.COPYFILE_EXCL);
    // chown clears set-user-ID bits, so the mode is set after it.
    await fsp.lchown(hostPath, owner.uid, owner.gid);
    await fsp.chmod(hostPath, mode);
    await fsp.utimes(hostPath, entry.mtime, entry.mtime);
  }

  for (const { hostPath, mtime } of directoryTimes.reverse()) {
    await fsp.utimes(hostPath, mtime, mtime);
  }
}
