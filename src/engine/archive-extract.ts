// Extracts a tar into a directory of a container for PUT /containers/{id}/archive.
// Every entry's parent is resolved inside the container's root, so a symlink
// in the tar or already in the container leads writes to the container's
// files, not the host's.
// NOTE: a running container that replaces a directory with a symlink between
// the resolution and the write is not guarded against.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError, hasErrorCode } from '../common/errors';
import { nativeSys, S_IFCHR } from '../sys/native';
import type { ContainerPathResolver } from './container-paths';

const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  // Owner for every extracted file (docker cp -a with a container user); null keeps the tar's owners.
  owner: { uid: number; gid: number } | null;
}

type Header = tar.Header;

export async function extractIntoContainer(archive: Readable, resolver: ContainerPathResolver, destination: string, options: ExtractOptions): Promise<void> {
  const extract = tar.extract();
  // Directory times are set last, because creating their entries changes them.
  const directoryTimes: { hostPath: string; mtime: Date }[] = [];

  extract.on('entry', (header, stream, next) => {
    writeEntry(header, stream as unknown as Readable, resolver, destination, options, directoryTimes)
      .then(() => next())
      .catch((error: unknown) => {
        stream.resume();
        next(error as Error);
      });
  });
  await pipeline(archive, extract as unknown as NodeJS.WritableStream);

  for (const { hostPath, mtime } of directoryTimes.reverse()) {
    await fsp.utimes(hostPath, mtime, mtime);
  }
}

async function writeEntry(header: Header, content: Readable, resolver: ContainerPathResolver, destination: string, options: ExtractOptions, directoryTimes: { hostPath: string; mtime: Date }[]): Promise<void> {
  const relative = path.posix.normalize(header.name).replace(/^(\.\/)+|^\/+/, '');
  if (relative === '' || relative === '.' || relative === './') {
    content.resume();
    return;
  }
  if (relative.split('/').includes('..')) throw new InvalidArgumentError(`extract archive: entry ${header.name} climbs out of the destination with ".."`);

  const containerPath = path.posix.join(destination, relative).replace(/\/$/, '');
  const parent = await resolver.resolve(path.posix.dirname(containerPath), true);
  const hostPath = path.join(parent.hostPath, path.posix.basename(containerPath));
  const existing = await fsp.lstat(hostPath).catch((error: unknown) => {
    if (hasErrorCode(error, 'ENOENT')) return null;
    throw error;
  });
  const mode = (header.mode ?? 0o644) & 0o7777;
  const mtime = header.mtime ?? new Date();

  if (header.type === 'directory') {
    if (existing && !existing.isDirectory()) {
      if (options.noOverwriteDirNonDir) throw new InvalidArgumentError(`cannot overwrite non-directory "${containerPath}" with directory "${relative}"`);
      await fsp.rm(hostPath, { force: true });
    }
    if (!existing || !existing.isDirectory()) await fsp.mkdir(hostPath);
    content.resume();
    await setMetadata(hostPath, header, mode, options, false);
    directoryTimes.push({ hostPath, mtime });
    return;
  }

  if (existing) {
    if (existing.isDirectory()) {
      if (options.noOverwriteDirNonDir) throw new InvalidArgumentError(`cannot overwrite directory "${containerPath}" with non-directory "${relative}"`);
      await fsp.rm(hostPath, { recursive: true, force: true });
    } else {
      await fsp.unlink(hostPath);
    }
  }

  switch (header.type) {
    case 'file':
    case 'contiguous-file': {
      // O_EXCL with O_NOFOLLOW: the name was just removed, so a link created meanwhile makes the open fail.
      const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
      const handle = await fsp.open(hostPath, flags, mode);
      await pipeline(content, handle.createWriteStream());
      break;
    }
    case 'symlink':
      content.resume();
      await fsp.symlink(header.linkname ?? '', hostPath);
      await setMetadata(hostPath, header, mode, options, true);
      return;
    case 'link': {
      content.resume();
      const linkName = path.posix.normalize(header.linkname ?? '').replace(/^(\.\/)+|^\/+/, '');
      if (linkName.split('/').includes('..')) throw new InvalidArgumentError(`extract archive: hard link ${header.name} points out of the destination`);
      const target = await resolver.resolve(path.posix.join(destination, linkName), false);
      await fsp.link(target.hostPath, hostPath);
      return;
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      content.resume();
      let typeBits = S_IFCHR;
      if (header.type === 'fifo') typeBits = S_IFIFO;
      if (header.type === 'block-device') typeBits = S_IFBLK;
      nativeSys().mknod(hostPath, typeBits | mode, header.devmajor ?? 0, header.devminor ?? 0);
      break;
    }
    default:
      // PAX and GNU headers are consumed by tar-stream; anything else has no file to create.
      content.resume();
      return;
  }
  await setMetadata(hostPath, header, mode, options, false);
  await fsp.utimes(hostPath, mtime, mtime);
}

async function setMetadata(hostPath: string, header: Header, mode: number, options: ExtractOptions, isLink: boolean): Promise<void> {
  const uid = options.owner?.uid ?? header.uid ?? 0;
  const gid = options.owner?.gid ?? header.gid ?? 0;
  await fsp.lchown(hostPath, uid, gid);
  // chown clears set-user-ID bits, so the mode is set after it; a symlink has no mode of its own.
  if (!isLink) await fsp.chmod(hostPath, mode);
}
