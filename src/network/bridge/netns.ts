// Persistent network namespaces bound to files: the engine creates one per
// container before the runtime starts it, and runc joins it through the OCI
// spec's { type: "network", path } entry. util-linux `unshare --net=FILE`
// creates the namespace and bind-mounts it on FILE, so it outlives every process.
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../common/subprocess';
import { hasErrorCode } from '../../common/errors';
import { nativeSys, MNT_DETACH } from '../../sys/native';

export async function createNetns(file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  if (await isNetnsMounted(file)) return;
  await fs.writeFile(file, '', { mode: 0o400 });
  await run('unshare', [`--net=${file}`, 'true']);
  // The loopback interface starts down in a new namespace; containers expect it up.
  await run('nsenter', [`--net=${file}`, 'ip', 'link', 'set', 'dev', 'lo', 'up']);
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

export async function isNetnsMounted(file: string): Promise<boolean> {
  const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[4] === file);
}
