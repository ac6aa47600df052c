// Maps a path inside a container to the host path that contains it: the
// container's root filesystem, or the host source of a bind mount or volume
// mounted over part of it. Symlinks met on the way are resolved inside the
// container's root, so a link to /etc reaches the container's /etc, not the host's.
import fs from 'node:fs/promises';
import path from 'node:path';
import { hasErrorCode } from '../common/errors';

const MAX_SYMLINKS = 255;

// A bind mount or volume: its destination in the container and its source on the host.
export interface HostMount {
  destination: string;
  source: string;
}

export interface ContainerLocation {
  // Absolute and clean, inside the container.
  containerPath: string;
  hostPath: string;
}

export class ContainerPathResolver {
  // Longest destination first, so nested mounts win over their parents.
  private readonly mounts: HostMount[];

  constructor(
    private readonly root: string,
    mounts: HostMount[],
  ) {
    this.mounts = mounts
      .map((mount) => ({ destination: path.posix.resolve('/', mount.destination), source: mount.source }))
      .sort((left, right) => right.destination.length - left.destination.length);
  }

  // Returns the host path of an absolute, clean container path, without following any symlink.
  hostPathOf(containerPath: string): string {
    for (const mount of this.mounts) {
      if (containerPath === mount.destination) return mount.source;
      if (containerPath.startsWith(`${mount.destination}/`)) return path.join(mount.source, containerPath.slice(mount.destination.length + 1));
    }
    return path.join(this.root, containerPath);
  }

  // Returns the host source of the mount whose destination is exactly this absolute, clean container path, or null.
  mountSourceAt(containerPath: string): string | null {
    return this.mounts.find((mount) => mount.destination === containerPath)?.source ?? null;
  }

  // Resolves symlinks in every component; the last one too when followFinal is set.
  async resolve(unsafePath: string, followFinal: boolean): Promise<ContainerLocation> {
    const pending = unsafePath.split('/').filter((part) => part !== '' && part !== '.');
    const resolved: string[] = [];
    let linksFollowed = 0;

    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        resolved.pop();
        continue;
      }

      const candidate = `/${[...resolved, part].join('/')}`;
      const isFinal = pending.length === 0;
      let target: string | null = null;
      if (!isFinal || followFinal) {
        try {
          const stat = await fs.lstat(this.hostPathOf(candidate));
          if (stat.isSymbolicLink()) target = await fs.readlink(this.hostPathOf(candidate));
        } catch (error) {
          // A missing component is taken literally, and the caller's stat reports it.
          if (!hasErrorCode(error, 'ENOENT') && !hasErrorCode(error, 'ENOTDIR')) throw error;
        }
      }

      if (target === null) {
        resolved.push(part);
        continue;
      }
      if (++linksFollowed > MAX_SYMLINKS) {
        throw Object.assign(new Error(`resolve ${unsafePath} in the container: too many levels of symbolic links`), { code: 'ELOOP' });
      }
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((item) => item !== '' && item !== '.'));
    }

    const containerPath = `/${resolved.join('/')}`;
    return { containerPath, hostPath: this.hostPathOf(containerPath) };
  }
}
