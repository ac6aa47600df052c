// Resolves a path inside a root directory as if the root were "/": symlinks
// are followed, but an absolute link target or a ".." starts again from the
// root instead of the host's "/", so the result never leaves the root.
import fsp from 'node:fs/promises';
import path from 'node:path';

const MAX_SYMLINKS = 40;

export async function resolveInRoot(root: string, target: string): Promise<string> {
  const pending = target.split('/').filter((part) => part !== '' && part !== '.');
  const resolved: string[] = [];
  let links = 0;

  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }

    const candidate = path.join(root, ...resolved, part);
    const stat = await fsp.lstat(candidate).catch(() => null);
    if (!stat?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }

    links++;
    if (links > MAX_SYMLINKS) throw new Error(`resolve ${target}: too many levels of symbolic links`);
    const link = await fsp.readlink(candidate);
    if (link.startsWith('/')) resolved.length = 0;
    pending.unshift(...link.split('/').filter((piece) => piece !== '' && piece !== '.'));
  }

  return path.join(root, ...resolved);
}
