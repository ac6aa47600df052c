// Resolves a path inside a root directory as if the root were "/": symlinks
// met on the way are followed relative to the root, and ".." never climbs
// above it, so a hostile image or container cannot make the host follow a
// link to its own files. The same rule as chroot's, without the syscall.
import fs from 'node:fs/promises';
import path from 'node:path';

const MAX_SYMLINKS = 255;

export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  const pending = unsafePath.split('/').filter((part) => part !== '' && part !== '.');
  const resolved: string[] = [];
  let linksFollowed = 0;

  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }

    const candidate = path.join(root, ...resolved, part);
    let target: string | null = null;
    try {
      const stat = await fs.lstat(candidate);
      if (stat.isSymbolicLink()) target = await fs.readlink(candidate);
    } catch {
      // A missing component ends the walk's need to follow links; the rest is taken literally.
    }

    if (target === null) {
      resolved.push(part);
      continue;
    }
    if (++linksFollowed > MAX_SYMLINKS) {
      throw Object.assign(new Error(`resolve ${unsafePath} in ${root}: too many levels of symbolic links`), { code: 'ELOOP' });
    }
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((item) => item !== '' && item !== '.'));
  }
  return path.join(root, ...resolved);
}
