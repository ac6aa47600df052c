// Persistent network namespaces bound to files: the engine creates one per
// container before the runtime starts it, and runc joins it through the OCI
// spec's { type: "network", path } entry. The native addon creates the
// namespace, with loopback up, and bind-mounts it on FILE, as
// `unshare --net=FILE` would, so it outlives every process.
import fs from 'node:fs/promises';
import path from 'node:path';
import { hasErrorCode } from '../../common/errors';
import { nativeSys, MNT_DETACH } from '../../sys/native';

export async function createNetns(file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  if (await isNetnsMounted(file)) return;
  await fs.writeFile(file, '', { mode: 0o400 });
  nativeSys().createNetns(file);
}

// Unmounts and deletes the namespace file. The kernel frees the namespace, and
// the veth ends inside it, once no process is inside it and no file refers to it.
export async function removeNetns(file: string): Promise<void> {
  try {
    nativeSys().umount(file, MNT_DETACH);
  } catch (error) {
    if (!hasErrorCode(error, 'EINVAL') && !hasErrorCode(error, 'ENOENT')) throw error;
  }
  await fs.rm(file, { force: true });
}

// Magic number of the nsfs file system (linux/magic.h), which a bind-mounted namespace file shows.
const NSFS_MAGIC = 0x6e736673;

// Checks with statfs instead of reading /proc/self/mountinfo, which grows with every
// container's mounts and is read on every container start.
export async function isNetnsMounted(file: string): Promise<boolean> {
  try {
    return (await fs.statfs(file)).type === NSFS_MAGIC;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return false;
    throw error;
  }
}
